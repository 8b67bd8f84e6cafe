import type { CredentialIdentifiers } from "./commands.ts";
import type { DomainError } from "./errors.ts";
import { normalizeIdentifier } from "./identifier.ts";
import type { CredentialType } from "./model.ts";
import type { ExistingIdentity, IdentityStreamState } from "./state.ts";

/** Returns the existing identity, or `identity_not_found` for a new or removed stream. */
export function requireExisting(
  state: IdentityStreamState,
  identityId: string,
): ExistingIdentity | DomainError {
  if (state.status !== "existing" || state.identity.id !== identityId) {
    return { code: "identity_not_found", identityId };
  }
  return state;
}

/**
 * Returns `credential_changed` when `expectedHash` is given and the identity's password hash
 * differs from it, because another change came first.
 */
export function requirePasswordHash(
  existing: ExistingIdentity,
  expectedHash: string | undefined,
): DomainError | null {
  if (expectedHash === undefined) return null;
  if (existing.identity.credentials.password?.config.hashedPassword === expectedHash) return null;
  return { code: "credential_changed", identityId: existing.identity.id };
}

/** Returns `identity_already_exists` or `identity_not_found` unless the stream is new. */
export function requireNew(state: IdentityStreamState, identityId: string): DomainError | null {
  if (state.status === "existing") {
    return { code: "identity_already_exists", identityId };
  }
  if (state.status === "removed") {
    return { code: "identity_not_found", identityId };
  }
  return null;
}

/**
 * Normalizes the identifiers of each credential type, drops duplicates and leaves out types
 * without identifiers. Returns `identifier_invalid` naming the first bad entry.
 */
export function normalizeCredentialIdentifiers(
  identifiers: CredentialIdentifiers,
): CredentialIdentifiers | DomainError {
  const result: CredentialIdentifiers = {};
  for (const [type, values] of Object.entries(identifiers) as [CredentialType, string[]][]) {
    const unique = new Set<string>();
    for (const [index, value] of (values ?? []).entries()) {
      const normalized = normalizeIdentifier(value, `identifiers.${type}[${index}]`);
      if (typeof normalized !== "string") {
        return normalized;
      }
      unique.add(normalized);
    }
    if (unique.size > 0) {
      result[type] = [...unique];
    }
  }
  return result;
}

/** Returns `invalid_argument` for an empty password hash. */
export function checkPasswordHash(hashedPassword: string, field: string): DomainError | null {
  if (hashedPassword.length === 0) {
    return { code: "invalid_argument", field, reason: "the password hash is empty" };
  }
  return null;
}

/** Compares two JSON values structurally, ignoring the order of object keys. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) {
    return true;
  }
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) {
    return false;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((item, index) => jsonEqual(item, b[index]))
    );
  }

  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  return (
    keys.length === Object.keys(right).length &&
    keys.every((key) => Object.hasOwn(right, key) && jsonEqual(left[key], right[key]))
  );
}
