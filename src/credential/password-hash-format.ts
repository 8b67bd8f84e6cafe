import { base64Field, decodeBase64 } from "./base64.ts";
import { type DigestHash, parseMd5, parseSsha } from "./digest-hash-format.ts";
import { parseScrypt, type ScryptHash } from "./scrypt-hash-format.ts";

/** Digests accepted in Kratos's PBKDF2 import format. */
export type Pbkdf2Digest = "sha1" | "sha224" | "sha256" | "sha384" | "sha512";

/** An argon2 hash in PHC format: `$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>`. */
export interface Argon2Hash {
  algorithm: "argon2id" | "argon2i";
  /** 0x13 (19) for Argon2 1.3, 0x10 (16) for 1.0 or when `v=` is absent. */
  version: number;
  memoryCost: number;
  timeCost: number;
  parallelism: number;
  salt: Buffer;
  hash: Buffer;
}

/** A bcrypt hash: `$2a$`, `$2b$` or `$2y$`, a two-digit cost, 53 characters of salt and key. */
export interface BcryptHash {
  algorithm: "bcrypt";
  cost: number;
  encoded: string;
}

/**
 * A PBKDF2 hash in Kratos's format, `$pbkdf2-<digest>$i=<iterations>,l=<key length>$<salt>$<key>`,
 * with salt and key in standard base64.
 */
export interface Pbkdf2Hash {
  algorithm: "pbkdf2";
  digest: Pbkdf2Digest;
  iterations: number;
  salt: Buffer;
  hash: Buffer;
}

/** A password hash this service can verify. */
export type ParsedPasswordHash = Argon2Hash | BcryptHash | Pbkdf2Hash | ScryptHash | DigestHash;

/** Reason a stored or imported hash cannot be verified. */
export type PasswordHashFormatError = {
  failure: "unsupported_algorithm" | "malformed_hash";
};

/**
 * Cost bounds for hashes parsed here, which reject imports whose verification would take too
 * long or too much memory, because every login attempt against an imported identity pays it
 * and an attacker can repeat wrong attempts. Argon2 may use up to 256 MiB, 16 passes and 16
 * lanes, with memory times passes at most 1 GiB. bcrypt cost goes up to 13, since bcryptjs
 * runs on the main thread (cost 16 took 5.5 s there on a 2-core machine). PBKDF2 may run up to
 * 1,000,000 iterations summed over the digest blocks of its key, because each block of a longer
 * key repeats every iteration, and its key is at most 64 bytes. Keys shorter than 16 bytes are
 * rejected because many passwords would match them.
 */
export const hashCostLimits = Object.freeze({
  argon2MaxMemoryKiB: 256 * 1024,
  argon2MaxWorkKiB: 1024 * 1024,
  argon2MaxTimeCost: 16,
  argon2MaxParallelism: 16,
  bcryptMinCost: 4,
  bcryptMaxCost: 13,
  pbkdf2MaxIterations: 1_000_000,
  pbkdf2MaxHashBytes: 64,
  minHashBytes: 16,
  minSaltBytes: 8,
});

/** Output size of each PBKDF2 digest in bytes; a longer key costs one more pass per block. */
const pbkdf2DigestBytes: Record<Pbkdf2Digest, number> = {
  sha1: 20,
  sha224: 28,
  sha256: 32,
  sha384: 48,
  sha512: 64,
};

const argon2Pattern = new RegExp(
  `^\\$(argon2id|argon2i)\\$(?:v=(\\d{1,3})\\$)?m=(\\d{1,10}),t=(\\d{1,10}),p=(\\d{1,10})` +
    `\\$${base64Field}\\$${base64Field}$`,
);
const bcryptPattern = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/;
const pbkdf2Pattern = new RegExp(
  `^\\$pbkdf2-(sha1|sha224|sha256|sha384|sha512)\\$i=(\\d{1,10}),l=(\\d{1,10})` +
    `\\$${base64Field}\\$${base64Field}$`,
);

/**
 * Parses an encoded password hash without throwing. Returns `unsupported_algorithm` for a
 * format this service does not verify (argon2d, crypt(3), Firebase scrypt, HMAC and others Kratos
 * can import), and `malformed_hash` for a supported algorithm whose encoding or costs are invalid.
 */
export function parsePasswordHash(encoded: string): ParsedPasswordHash | PasswordHashFormatError {
  if (encoded.startsWith("$argon2id$") || encoded.startsWith("$argon2i$")) {
    return parseArgon2(encoded);
  }
  if (/^\$2[aby]\$/.test(encoded)) {
    return parseBcrypt(encoded);
  }
  if (/^\$pbkdf2-(sha1|sha224|sha256|sha384|sha512)\$/.test(encoded)) {
    return parsePbkdf2(encoded);
  }
  if (encoded.startsWith("$scrypt$")) {
    return parseScrypt(encoded);
  }
  if (/^\{SSHA(256|512)?\}/.test(encoded)) {
    return parseSsha(encoded);
  }
  if (encoded.startsWith("$md5$")) {
    return parseMd5(encoded);
  }
  // Kratos's other import formats start with `$` (crypt(3), Firebase scrypt, HMAC, salted SHA)
  // or `{` (other LDAP schemes).
  const looksLikeHash = encoded.startsWith("$") || encoded.startsWith("{");
  return { failure: looksLikeHash ? "unsupported_algorithm" : "malformed_hash" };
}

/** Reports whether a parse result is a format error. */
export function isHashFormatError(
  parsed: ParsedPasswordHash | PasswordHashFormatError,
): parsed is PasswordHashFormatError {
  return "failure" in parsed;
}

const malformed: PasswordHashFormatError = Object.freeze({ failure: "malformed_hash" });

function parseArgon2(encoded: string): Argon2Hash | PasswordHashFormatError {
  const match = argon2Pattern.exec(encoded);
  if (!match) {
    return malformed;
  }

  const [, algorithm, version, memory, time, lanes, encodedSalt, encodedHash] = match;
  const salt = decodeBase64(encodedSalt!);
  const hash = decodeBase64(encodedHash!);
  if (!salt || !hash) {
    return malformed;
  }
  const parsed: Argon2Hash = {
    algorithm: algorithm as Argon2Hash["algorithm"],
    version: version === undefined ? 0x10 : Number(version),
    memoryCost: Number(memory),
    timeCost: Number(time),
    parallelism: Number(lanes),
    salt,
    hash,
  };
  const limits = hashCostLimits;
  const valid =
    (parsed.version === 0x10 || parsed.version === 0x13) &&
    parsed.parallelism >= 1 &&
    parsed.parallelism <= limits.argon2MaxParallelism &&
    parsed.timeCost >= 1 &&
    parsed.timeCost <= limits.argon2MaxTimeCost &&
    parsed.memoryCost >= 8 * parsed.parallelism &&
    parsed.memoryCost <= limits.argon2MaxMemoryKiB &&
    parsed.memoryCost * parsed.timeCost <= limits.argon2MaxWorkKiB &&
    parsed.salt.length >= limits.minSaltBytes &&
    parsed.hash.length >= limits.minHashBytes;
  return valid ? parsed : malformed;
}

function parseBcrypt(encoded: string): BcryptHash | PasswordHashFormatError {
  const match = bcryptPattern.exec(encoded);
  if (!match) {
    return malformed;
  }
  const cost = Number(match[1]);
  if (cost < hashCostLimits.bcryptMinCost || cost > hashCostLimits.bcryptMaxCost) {
    return malformed;
  }
  return { algorithm: "bcrypt", cost, encoded };
}

function parsePbkdf2(encoded: string): Pbkdf2Hash | PasswordHashFormatError {
  const match = pbkdf2Pattern.exec(encoded);
  if (!match) {
    return malformed;
  }

  // Like Kratos, the key length comes from the decoded hash, and `l=` is only checked for syntax.
  const [, digest, iterations, , encodedSalt, encodedHash] = match;
  const salt = decodeBase64(encodedSalt!);
  const hash = decodeBase64(encodedHash!);
  if (!salt || !hash) {
    return malformed;
  }
  const parsed: Pbkdf2Hash = {
    algorithm: "pbkdf2",
    digest: digest as Pbkdf2Digest,
    iterations: Number(iterations),
    salt,
    hash,
  };
  const blocks = Math.ceil(parsed.hash.length / pbkdf2DigestBytes[parsed.digest]);
  const valid =
    parsed.iterations >= 1 &&
    parsed.iterations * blocks <= hashCostLimits.pbkdf2MaxIterations &&
    parsed.salt.length >= 1 &&
    parsed.hash.length >= hashCostLimits.minHashBytes &&
    parsed.hash.length <= hashCostLimits.pbkdf2MaxHashBytes;
  return valid ? parsed : malformed;
}
