import { z } from "zod";
import { badRequest } from "../errors.ts";
import { DEFAULT_BODY_LIMIT_BYTES } from "../middleware/body-parser.ts";
import { parseInput } from "../middleware/validation.ts";
import { isUuid } from "../uuid.ts";
import { createIdentityBodySchema } from "./identities-body.ts";

/** Kratos's limit on the entries of one `PATCH /admin/identities` request. */
export const maxBatchIdentities = 1000;

/** Kratos's limit on the entries with a plaintext password, which are slow to hash. */
export const maxBatchPlaintextPasswords = 200;

/**
 * Body size limit of `PATCH /admin/identities`, in place of the admin port's 100 KiB, so that
 * a batch of `maxBatchIdentities` entries of about 2 KiB each fits. The size is Registrar's own.
 */
export const batchBodyLimitBytes = 2 * 1024 * 1024;

const identityPatchSchema = z.strictObject({
  create: createIdentityBodySchema,
  patch_id: z
    .string()
    .refine(isUuid, "must be a UUID")
    .transform((value) => value.toLowerCase())
    .optional(),
});

/** Kratos's `identityPatch`: one identity to create, and an id to find its result by. */
export type IdentityPatch = z.output<typeof identityPatchSchema>;

// Checked first, so that an oversized batch is rejected before its entries are parsed.
const batchEnvelopeSchema = z.strictObject({ identities: z.array(z.unknown()) });

const batchBodySchema = z.strictObject({ identities: z.array(identityPatchSchema) });

/**
 * Parses Kratos's `patchIdentitiesBody`. Throws a 400 for a body that is not one, for more
 * entries than `maxBatchIdentities`, for an entry larger than a single create's body, and for
 * more plaintext passwords than `maxBatchPlaintextPasswords`, so that such a request creates
 * nothing. Traits and passwords
 * are checked later, for each entry on its own.
 */
export function parseBatchBody(body: unknown): IdentityPatch[] {
  const { identities: entries } = parseInput(batchEnvelopeSchema, body);
  if (entries.length > maxBatchIdentities) {
    throw badRequest({
      message: `The request contains ${entries.length} identities, more than the limit of ${maxBatchIdentities}.`,
      reason: `Send at most ${maxBatchIdentities} identities per request.`,
      details: { max_identities: maxBatchIdentities, identities: entries.length },
    });
  }

  // An entry gets no more room than the body of a single create, so that every identity a batch
  // creates can also be sent back through PUT.
  const oversized = entries.findIndex(
    (entry) => Buffer.byteLength(JSON.stringify(entry)) > DEFAULT_BODY_LIMIT_BYTES,
  );
  if (oversized !== -1) {
    throw badRequest({
      message: `Entry ${oversized} of identities is larger than the ${DEFAULT_BODY_LIMIT_BYTES} bytes a single create accepts.`,
      reason: "Shorten the entry's traits and metadata.",
      details: { index: oversized, max_entry_bytes: DEFAULT_BODY_LIMIT_BYTES },
    });
  }

  const { identities } = parseInput(batchBodySchema, body);
  const plaintextPasswords = identities.filter(
    (patch) => patch.create.credentials?.password?.config.password !== undefined,
  ).length;
  if (plaintextPasswords > maxBatchPlaintextPasswords) {
    throw badRequest({
      message: `The request contains ${plaintextPasswords} identities with a plaintext password, more than the limit of ${maxBatchPlaintextPasswords}.`,
      reason: `Send at most ${maxBatchPlaintextPasswords} plaintext passwords per request, or import hashed passwords.`,
      details: {
        max_plaintext_passwords: maxBatchPlaintextPasswords,
        plaintext_passwords: plaintextPasswords,
      },
    });
  }
  return identities;
}
