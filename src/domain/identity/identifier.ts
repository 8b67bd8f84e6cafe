import type { DomainError } from "./errors.ts";

/**
 * Maximum length of an identifier or address in code points: a 64-octet local part, `@` and a
 * 255-octet domain, the separate limits of RFC 5321.
 */
export const maxIdentifierLength = 320;

/** An identifier or address value after `normalizeIdentifier`. */
export type NormalizedIdentifier = string & { readonly __brand: "NormalizedIdentifier" };

/**
 * Normalizes an identifier or address the way Kratos compares them: NFKC, then trimmed, then
 * lower-cased, so `"  Ａlice@Example.COM "` and `"alice@example.com"` are the same identifier.
 * Returns `identifier_invalid` for an empty result or more than 320 code points. It does not
 * check email or phone syntax, which the identity schema does.
 */
export function normalizeIdentifier(
  value: string,
  field = "identifier",
): NormalizedIdentifier | Extract<DomainError, { code: "identifier_invalid" }> {
  const normalized = value.normalize("NFKC").trim().toLowerCase();
  if (normalized.length === 0) {
    return { code: "identifier_invalid", field, reason: "empty", maxLength: maxIdentifierLength };
  }
  if (countCodePoints(normalized) > maxIdentifierLength) {
    return {
      code: "identifier_invalid",
      field,
      reason: "too_long",
      maxLength: maxIdentifierLength,
    };
  }
  return normalized as NormalizedIdentifier;
}

/** Counts Unicode code points, so an emoji or an astral character counts once. */
export function countCodePoints(value: string): number {
  let count = 0;
  for (const _ of value) {
    count += 1;
  }
  return count;
}
