import { createCipheriv, createDecipheriv, type KeyObject, randomBytes } from "node:crypto";
import { PersonalDataError } from "./errors.ts";
import { checkSubjectId } from "./subject-id.ts";

/**
 * Prefix of every encrypted field. The version in it names the format: AES-256-GCM, a 12-byte
 * IV, a 16-byte tag, a JSON plaintext and the additional data built by `additionalData`.
 */
export const fieldTokenPrefix = "pd1.";

const ivLength = 12;
const tagLength = 16;
const base64UrlPattern = /^[A-Za-z0-9_-]+$/;

/** The parts of `pd1.<subject id>.<IV, base64url>.<ciphertext and tag, base64url>`. */
export interface FieldToken {
  subjectId: string;
  iv: Buffer;
  /** Ciphertext followed by the 16-byte GCM tag. */
  sealed: Buffer;
}

/** Returns whether a value is a string with the encrypted-field prefix, well formed or not. */
export function hasFieldTokenPrefix(value: unknown): value is string {
  return typeof value === "string" && value.startsWith(fieldTokenPrefix);
}

/** Splits a field token into its parts, raising `malformed_ciphertext` on any deviation. */
export function parseFieldToken(token: string): FieldToken {
  const parts = token.split(".");
  if (parts.length !== 4 || `${parts[0]}.` !== fieldTokenPrefix) {
    throw malformed("expected 4 dot-separated parts");
  }
  const [, subjectId, ivText, sealedText] = parts as [string, string, string, string];
  try {
    checkSubjectId(subjectId);
  } catch {
    throw malformed("invalid subject id");
  }

  const iv = decodeBase64Url(ivText);
  const sealed = decodeBase64Url(sealedText);
  if (iv.length !== ivLength) throw malformed(`IV must be ${ivLength} bytes`);
  if (sealed.length <= tagLength) throw malformed("ciphertext is shorter than its tag");
  return { subjectId, iv, sealed };
}

/** Encrypts a JSON-serialisable value into a field token bound to subject, event type and field. */
export function sealField(
  key: KeyObject,
  subjectId: string,
  eventType: string,
  field: string,
  value: unknown,
): string {
  checkSubjectId(subjectId);
  const plaintext = JSON.stringify(value);
  if (plaintext === undefined) {
    throw new TypeError(`value of ${eventType} ${field} is not JSON-serialisable`);
  }

  const iv = randomBytes(ivLength);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(additionalData(subjectId, eventType, field));
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  const sealed = Buffer.concat([ciphertext, cipher.getAuthTag()]);
  const encoded = [iv, sealed].map((bytes) => bytes.toString("base64url"));
  return `${fieldTokenPrefix}${subjectId}.${encoded.join(".")}`;
}

/**
 * Decrypts a parsed field token. Raises `field_authentication_failed`, instead of returning a
 * wrong value, when any byte changed or the event type, field or key differ from encryption.
 */
export function openField(
  key: KeyObject,
  token: FieldToken,
  eventType: string,
  field: string,
): unknown {
  const decipher = createDecipheriv("aes-256-gcm", key, token.iv);
  decipher.setAAD(additionalData(token.subjectId, eventType, field));
  decipher.setAuthTag(token.sealed.subarray(token.sealed.length - tagLength));

  let plaintext: string;
  try {
    const ciphertext = token.sealed.subarray(0, token.sealed.length - tagLength);
    plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString("utf8");
  } catch (error) {
    throw new PersonalDataError(
      "field_authentication_failed",
      `encrypted ${eventType} ${field} of subject ${token.subjectId} failed authentication: ` +
        "the token was changed or belongs to another event type or field",
      { cause: error },
    );
  }
  return JSON.parse(plaintext);
}

// A JSON array keeps the parts apart, so no two different contexts encode alike.
function additionalData(subjectId: string, eventType: string, field: string): Buffer {
  return Buffer.from(JSON.stringify(["pd1", subjectId, eventType, field]), "utf8");
}

// Node decodes base64url leniently, so a changed last character can decode to the same bytes.
// Requiring the canonical encoding makes every changed character count as tampering.
function decodeBase64Url(text: string): Buffer {
  const bytes = base64UrlPattern.test(text) ? Buffer.from(text, "base64url") : undefined;
  if (!bytes || bytes.toString("base64url") !== text) throw malformed("invalid base64url");
  return bytes;
}

function malformed(reason: string): PersonalDataError {
  return new PersonalDataError("malformed_ciphertext", `malformed encrypted field: ${reason}`);
}
