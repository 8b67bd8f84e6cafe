import { boundedBase64Field, decodeBase64 } from "./base64.ts";
import type { PasswordHashFormatError } from "./password-hash-format.ts";

/** Message digests used by the LDAP and MD5 import formats. */
export type DigestAlgorithm = "md5" | "sha1" | "sha256" | "sha512";

/** A piece of the digested message: literal bytes, the salt or the password as UTF-8. */
export type DigestInputPart = Buffer | "salt" | "password";

/**
 * A single unsalted or salted digest of the password, in one of Kratos's import formats:
 * - `{SSHA}`, `{SSHA256}` or `{SSHA512}` followed by base64 of the SHA digest of password then
 *   salt, with the salt appended to the digest, as LDAP servers store `userPassword`;
 * - `$md5$<digest>`, the base64 MD5 digest of the password alone;
 * - `$md5$pf=<template>$<salt>$<digest>`, the MD5 digest of a base64 template in which
 *   `{SALT}` and `{PASSWORD}` are replaced, in one pass, by the salt and the password.
 */
export interface DigestHash {
  algorithm: "ssha" | "md5";
  digest: DigestAlgorithm;
  /** The parts that are concatenated and digested, in order. */
  input: readonly DigestInputPart[];
  salt: Buffer;
  hash: Buffer;
}

/**
 * Bounds for digest hashes. A salt shorter than 4 bytes (32 bits, the minimum of OWASP ASVS
 * 4.0.3 2.4.2) is rejected, which still admits OpenLDAP's `slappasswd`, whose `{SSHA}` salts are
 * 4 bytes. An MD5 template may be at most 128 bytes, room for a separator or a site-wide pepper.
 */
export const digestHashLimits = Object.freeze({
  minSaltBytes: 4,
  maxSaltBytes: 64,
  maxTemplateBytes: 128,
});

const digestBytes: Readonly<Record<DigestAlgorithm, number>> = Object.freeze({
  md5: 16,
  sha1: 20,
  sha256: 32,
  sha512: 64,
});

const sshaDigests: Readonly<Record<string, DigestAlgorithm>> = Object.freeze({
  SSHA: "sha1",
  SSHA256: "sha256",
  SSHA512: "sha512",
});

const maxSshaPayloadBytes = digestBytes.sha512 + digestHashLimits.maxSaltBytes;
const sshaPattern = new RegExp(
  `^\\{(SSHA|SSHA256|SSHA512)\\}${boundedBase64Field(maxSshaPayloadBytes)}$`,
);
const md5Field = "([A-Za-z0-9+/]{22}(?:==)?)";
const md5Pattern = new RegExp(`^\\$md5\\$${md5Field}$`);
const saltedMd5Pattern = new RegExp(
  `^\\$md5\\$pf=${boundedBase64Field(digestHashLimits.maxTemplateBytes)}` +
    `\\$${boundedBase64Field(digestHashLimits.maxSaltBytes)}\\$${md5Field}$`,
);

const malformed: PasswordHashFormatError = Object.freeze({ failure: "malformed_hash" });
const noSalt = Buffer.alloc(0);

/** Parses a `{SSHA}`, `{SSHA256}` or `{SSHA512}` hash, whose payload is digest then salt. */
export function parseSsha(encoded: string): DigestHash | PasswordHashFormatError {
  const match = sshaPattern.exec(encoded);
  const decoded = match ? decodeBase64(match[2]!) : null;
  if (!match || !decoded) {
    return malformed;
  }

  const digest = sshaDigests[match[1]!]!;
  const hash = decoded.subarray(0, digestBytes[digest]);
  const salt = decoded.subarray(digestBytes[digest]);
  if (!hasValidSaltLength(salt)) {
    return malformed;
  }
  return { algorithm: "ssha", digest, input: ["password", "salt"], salt, hash };
}

/** Parses an unsalted `$md5$<digest>` or a salted `$md5$pf=<template>$<salt>$<digest>` hash. */
export function parseMd5(encoded: string): DigestHash | PasswordHashFormatError {
  const unsalted = md5Pattern.exec(encoded);
  if (unsalted) {
    const hash = decodeBase64(unsalted[1]!);
    if (!hash) {
      return malformed;
    }
    return { algorithm: "md5", digest: "md5", input: ["password"], salt: noSalt, hash };
  }

  const salted = saltedMd5Pattern.exec(encoded);
  if (!salted) {
    return malformed;
  }
  const [, encodedTemplate, encodedSalt, encodedHash] = salted;
  const template = decodeBase64(encodedTemplate!);
  const salt = decodeBase64(encodedSalt!);
  const hash = decodeBase64(encodedHash!);
  const input = template ? parseTemplate(template) : null;
  if (!input || !salt || !hash || !hasValidSaltLength(salt)) {
    return malformed;
  }
  return { algorithm: "md5", digest: "md5", input, salt, hash };
}

function hasValidSaltLength(salt: Buffer): boolean {
  return (
    salt.length >= digestHashLimits.minSaltBytes && salt.length <= digestHashLimits.maxSaltBytes
  );
}

const placeholders = [
  { text: Buffer.from("{SALT}"), part: "salt" },
  { text: Buffer.from("{PASSWORD}"), part: "password" },
] as const;

/**
 * Splits a salting template at its placeholders, scanning once from the left as Kratos's
 * `strings.Replacer` does, so that a salt or password containing `{SALT}` is never expanded.
 * Returns null unless the template contains `{PASSWORD}` exactly once and `{SALT}` exactly
 * once, because a template without the password would match every password, and one without
 * the salt would silently ignore it.
 */
function parseTemplate(template: Buffer): DigestInputPart[] | null {
  const parts: DigestInputPart[] = [];
  let literalStart = 0;
  let index = 0;
  while (index < template.length) {
    const placeholder = placeholders.find(({ text }) => startsWithAt(template, text, index));
    if (!placeholder) {
      index += 1;
      continue;
    }
    if (index > literalStart) {
      parts.push(template.subarray(literalStart, index));
    }
    parts.push(placeholder.part);
    index += placeholder.text.length;
    literalStart = index;
  }
  if (literalStart < template.length) {
    parts.push(template.subarray(literalStart));
  }

  const count = (part: DigestInputPart) => parts.filter((each) => each === part).length;
  return count("password") === 1 && count("salt") === 1 ? parts : null;
}

function startsWithAt(buffer: Buffer, prefix: Buffer, offset: number): boolean {
  return buffer.subarray(offset, offset + prefix.length).equals(prefix);
}
