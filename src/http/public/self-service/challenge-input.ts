import type { Context } from "koa";
import { z } from "zod";
import { countCodePoints, maxIdentifierLength } from "../../../domain/identity/index.ts";
import { invalidEmail, propertyMissing, tooLong, type UiText } from "../../kratos/messages.ts";
import { parseInput } from "../../middleware/validation.ts";
import { bodyObject } from "./flow-helpers.ts";

/**
 * Body of `updateRecoveryFlow` and `updateVerificationFlow` with the code or link method.
 * Unknown fields, such as Kratos's recovery v2 fields, are ignored.
 */
const challengeBodySchema = z.object({
  method: z.enum(["code", "link"]),
  email: z.string().max(10_000).optional(),
  code: z.string().max(1_000).optional(),
  csrf_token: z.string().max(10_000).optional(),
  transient_payload: z.record(z.string(), z.unknown()).optional(),
});

export type ChallengeBody = z.infer<typeof challengeBodySchema>;

/** Parses the submitted body; wrong types are a 400 `bad_request` naming the field. */
export function parseChallengeBody(ctx: Context): ChallengeBody {
  return parseInput(challengeBodySchema, bodyObject(ctx));
}

// One `@` with text on both sides and no whitespace or control characters. Registration checks
// the full email format through the identity schema, so a stored address always passes this.
const emailPattern = /^[^\s@\p{Cc}]+@[^\s@\p{Cc}]+$/u;

/** A submitted email address: normalized, or the UI message that rejects it. */
export type EmailInput = { ok: true; address: string } | { ok: false; message: UiText };

/**
 * Normalizes a submitted address the way identities store it (NFKC, trimmed, lower-cased) and
 * checks its length and syntax. The message of a rejected address goes on the `email` node.
 */
export function readEmail(raw: string | undefined): EmailInput {
  if (raw === undefined || raw.trim() === "") {
    return { ok: false, message: propertyMissing("email") };
  }
  const address = raw.normalize("NFKC").trim().toLowerCase();
  const length = countCodePoints(address);
  if (length > maxIdentifierLength) {
    return { ok: false, message: tooLong(maxIdentifierLength, length) };
  }
  if (!emailPattern.test(address)) {
    return { ok: false, message: invalidEmail(address) };
  }
  return { ok: true, address };
}
