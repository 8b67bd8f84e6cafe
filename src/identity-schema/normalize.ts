// Identifier normalisation, so that one address or username maps to one claim key and one login.

const EMAIL_LOCAL_PART = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/i;
const DOMAIN_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
const PHONE_SEPARATORS = /[\s().-]/g;
const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * Maximum length of an email address: RFC 5321 (4.5.3.1.3) limits a path to 256 octets, which
 * includes the angle brackets around the address.
 */
export const MAX_EMAIL_LENGTH = 254;

/**
 * Checks an email address in the common `local@domain.tld` form: a dot-atom local part of at
 * most 64 characters and a domain of at least two DNS labels. Quoted local parts, IP literals
 * and internationalised addresses are rejected. The checks run in linear time, because the
 * value comes from untrusted input.
 */
export function isEmailAddress(value: string): boolean {
  if (value.length > MAX_EMAIL_LENGTH) return false;

  const at = value.lastIndexOf("@");
  if (at < 1) return false;

  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (local.length > 64 || domain.length > 255 || !EMAIL_LOCAL_PART.test(local)) return false;

  const labels = domain.split(".");
  return labels.length >= 2 && labels.every((label) => DOMAIN_LABEL.test(label));
}

/** Removes spaces, dots, dashes and brackets from a phone number typed by a person. */
export function normalizePhone(value: string): string {
  return value.normalize("NFKC").replace(PHONE_SEPARATORS, "");
}

/**
 * Checks a phone number in international E.164 form once separators are removed.
 *
 * NOTE: Kratos validates numbers with libphonenumber, which also checks each country's
 * numbering plan. This check accepts any `+` and 7 to 15 digits.
 */
export function isPhoneNumber(value: string): boolean {
  if (value.length > 64) return false;
  return E164.test(normalizePhone(value));
}

/**
 * Normalises a credential identifier: trims it, applies Unicode NFKC and lower-cases it, as
 * Kratos does for every password, WebAuthn and code identifier, usernames included.
 */
export function normalizeIdentifier(value: string): string {
  return value.normalize("NFKC").trim().toLowerCase();
}

/** Normalises an address for the channel it is used with. */
export function normalizeAddress(value: string, via: "email" | "sms"): string {
  return via === "sms" ? normalizePhone(value) : normalizeIdentifier(value);
}
