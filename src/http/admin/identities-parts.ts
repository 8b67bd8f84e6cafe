import { randomUUID } from "node:crypto";
import type { Registrar } from "../../app/registrar.ts";
import { isHashFormatError, parsePasswordHash } from "../../credential/index.ts";
import {
  type AddressInput,
  type CredentialIdentifiers,
  checkPasswordPolicy,
  normalizeIdentifier,
  type Traits,
  type VerifiableAddressInput,
} from "../../domain/identity/index.ts";
import type { TraitFailure } from "../../identity-schema/index.ts";
import { badRequest, type RegistrarError } from "../errors.ts";
import type { ImportedCredentials, VerifiableAddressBody } from "./identities-body.ts";
import { commandFailureToError } from "./identities-errors.ts";

/** The parts of a create or replace command that follow from traits and credentials. */
export interface IdentityParts {
  schemaId: string;
  traits: Traits;
  identifiers: CredentialIdentifiers;
  verifiableAddresses: VerifiableAddressInput[];
  recoveryAddresses: AddressInput[];
  password?: { hashedPassword: string };
}

export interface IdentityPartsInput {
  schemaId: string;
  traits: Record<string, unknown>;
  /** Verification status of addresses as the client sent them, matched to the traits by value. */
  verifiableAddresses?: readonly VerifiableAddressBody[];
  credentials?: ImportedCredentials;
}

/**
 * Validates traits against the identity schema and derives identifiers and addresses from them,
 * as Kratos does. Addresses in the body only carry verification status: an address that is not
 * in the traits is dropped, as in Kratos. A plaintext password is checked against the policy and
 * hashed here; an imported hash must be one that Registrar can verify.
 */
export async function resolveIdentityParts(
  registrar: Registrar,
  input: IdentityPartsInput,
): Promise<IdentityParts> {
  const validated = registrar.schemas.validateTraits(input.schemaId, input.traits);
  if (!validated.ok) {
    if (validated.error.kind === "schema_not_found") {
      throw badRequest({
        message: `The identity schema ${JSON.stringify(input.schemaId)} does not exist.`,
        reason: `Use one of the configured schema ids: ${registrar.schemas.ids().join(", ")}.`,
      });
    }
    throw invalidTraits(validated.error.failures);
  }

  const { traits, extracted } = validated.value;
  const passwordIdentifiers = extracted.credentialIdentifiers.password;
  const parts: IdentityParts = {
    schemaId: input.schemaId,
    traits: traits as Traits,
    identifiers: { password: passwordIdentifiers },
    verifiableAddresses: extracted.verifiableAddresses.map((address) =>
      withVerification({ id: randomUUID(), ...address }, input.verifiableAddresses ?? []),
    ),
    recoveryAddresses: extracted.recoveryAddresses.map((address) => ({
      id: randomUUID(),
      ...address,
    })),
  };
  const hashedPassword = await resolvePassword(registrar, input.credentials, passwordIdentifiers);
  if (hashedPassword !== undefined) parts.password = { hashedPassword };
  return parts;
}

function invalidTraits(failures: readonly TraitFailure[]): RegistrarError {
  const first = failures[0];
  return badRequest({
    message: first
      ? `The traits are invalid: ${first.path} ${first.message.text}`
      : "The traits are invalid.",
    reason: "Correct the traits listed in details.issues so they match the identity schema.",
    details: {
      issues: failures.map((failure) => ({
        path: failure.path,
        message: failure.message.text,
        message_id: failure.message.id,
      })),
    },
  });
}

function withVerification(
  address: AddressInput,
  sent: readonly VerifiableAddressBody[],
): VerifiableAddressInput {
  const match = sent.find(
    (entry) => entry.via === address.via && normalizeIdentifier(entry.value) === address.value,
  );
  if (!match) return address;

  const input: VerifiableAddressInput = { ...address };
  if (match.verified !== undefined) input.verified = match.verified;
  if (match.status !== undefined) input.status = match.status;
  if (match.verified_at) input.verifiedAt = new Date(match.verified_at).toISOString();
  return input;
}

async function resolvePassword(
  registrar: Registrar,
  credentials: ImportedCredentials | undefined,
  identifiers: readonly string[],
): Promise<string | undefined> {
  if (!credentials) return undefined;
  rejectUnsupportedCredentials(credentials);

  const config = credentials.password?.config;
  if (!config) return undefined;
  if (config.use_password_migration_hook) {
    throw badRequest({
      message: "The password migration hook is not supported.",
      reason: "Import the password as `password` or `hashed_password`.",
    });
  }
  if (config.password !== undefined && config.hashed_password !== undefined) {
    throw badRequest({
      message: "Send either credentials.password.config.password or hashed_password, not both.",
    });
  }
  if (config.hashed_password !== undefined) return checkImportedHash(config.hashed_password);
  if (config.password !== undefined) {
    return hashPlaintextPassword(registrar, config.password, identifiers);
  }
  return undefined;
}

function rejectUnsupportedCredentials(credentials: ImportedCredentials): void {
  for (const [type, value] of Object.entries(credentials)) {
    if (type === "password" || value === undefined) continue;
    throw badRequest({
      message: `Importing ${type} credentials is not supported.`,
      reason: "Import a password, or add this credential through the self-service flows.",
      details: { credential_type: type },
    });
  }
}

function checkImportedHash(hash: string): string {
  const parsed = parsePasswordHash(hash);
  if (!isHashFormatError(parsed)) return hash;

  const unsupported = parsed.failure === "unsupported_algorithm";
  throw badRequest({
    message: unsupported
      ? "The hashed password uses an algorithm that Registrar cannot verify."
      : "The hashed password is malformed.",
    reason:
      "Send an argon2id, argon2i, bcrypt, PBKDF2, scrypt, {SSHA}, {SSHA256}, {SSHA512} or $md5$ " +
      "hash in Kratos's import format, within the cost and length limits.",
    details: { field: "credentials.password.config.hashed_password", failure: parsed.failure },
  });
}

/** Checks a plaintext password against the policy and the breach list, then hashes it. */
export async function hashPlaintextPassword(
  registrar: Registrar,
  password: string,
  identifiers: readonly string[],
): Promise<string> {
  const violation = checkPasswordPolicy(password, identifiers);
  if (violation) throw commandFailureToError({ ok: false, error: violation });

  const breach = await registrar.breachedPasswords.check(password);
  if (breach.breached) {
    throw commandFailureToError({
      ok: false,
      error: { code: "password_breached", breaches: breach.count },
    });
  }
  return registrar.hasher.hash(password);
}
