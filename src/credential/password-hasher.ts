import { createHash, pbkdf2, randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";
import argon2 from "argon2";
import bcrypt from "bcryptjs";
import {
  type Argon2Parameters,
  owaspArgon2Parameters,
  validateArgon2Parameters,
} from "./argon2-parameters.ts";
import type { DigestHash } from "./digest-hash-format.ts";
import {
  type Argon2Hash,
  isHashFormatError,
  type ParsedPasswordHash,
  type Pbkdf2Hash,
  parsePasswordHash,
} from "./password-hash-format.ts";
import { type ScryptHash, scryptMemoryBytes } from "./scrypt-hash-format.ts";

const pbkdf2Async = promisify(pbkdf2);
const scryptAsync = promisify(scrypt) as (
  password: Buffer,
  salt: Buffer,
  keyLength: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

/** bcrypt reads only the first 72 bytes of a password; longer ones would match on a prefix. */
const bcryptMaxPasswordBytes = 72;

/** Result of checking a password against a stored hash. */
export type PasswordVerification =
  /** The password matches; when `needsRehash` is true, the caller stores a new argon2id hash. */
  | { outcome: "match"; needsRehash: boolean }
  | { outcome: "mismatch" }
  /** The stored hash cannot be verified; the caller logs it and rejects the login as a mismatch. */
  | { outcome: "invalid_hash"; failure: "unsupported_algorithm" | "malformed_hash" };

/**
 * Hashes passwords with argon2id and verifies them against argon2id, argon2i, bcrypt and
 * Kratos's PBKDF2, scrypt, salted SHA (`{SSHA}`) and MD5 formats. Passwords are hashed exactly
 * as given, without Unicode normalization, so that imported hashes of unnormalized passwords
 * keep matching.
 */
export class PasswordHasher {
  readonly parameters: Readonly<Argon2Parameters>;
  readonly #dummyHash: Argon2Hash;

  private constructor(parameters: Readonly<Argon2Parameters>, dummyHash: Argon2Hash) {
    this.parameters = parameters;
    this.#dummyHash = dummyHash;
  }

  /**
   * Creates a hasher and computes its dummy hash at the same parameters up front, so that the
   * first `verifyDummy` call takes no longer than later ones. Raises `RangeError` for invalid
   * parameters.
   */
  static async create(
    parameters: Readonly<Argon2Parameters> = owaspArgon2Parameters,
  ): Promise<PasswordHasher> {
    validateArgon2Parameters(parameters);
    const dummyHash = parsePasswordHash(await hashArgon2id(randomBytes(32), parameters));
    if (isHashFormatError(dummyHash) || dummyHash.algorithm !== "argon2id") {
      throw new RangeError("argon2 parameters produce hashes outside the accepted cost limits");
    }
    return new PasswordHasher(Object.freeze({ ...parameters }), dummyHash);
  }

  /** Hashes a password with argon2id and a fresh random salt, in PHC format. */
  hash(password: string): Promise<string> {
    return hashArgon2id(Buffer.from(password, "utf8"), this.parameters);
  }

  /**
   * Verifies a password against a stored hash in any supported format, comparing derived keys
   * in constant time. A hash that cannot be parsed is reported as `invalid_hash` after the same
   * work as a dummy verification, so its timing matches a real check.
   */
  async verify(password: string, encodedHash: string): Promise<PasswordVerification> {
    const parsed = parsePasswordHash(encodedHash);
    if (isHashFormatError(parsed)) {
      await this.verifyDummy(password);
      return { outcome: "invalid_hash", failure: parsed.failure };
    }

    // A hash below the configured cost, such as an imported digest or a cheap bcrypt or PBKDF2
    // hash, would reject a wrong password sooner than the dummy verification rejects an unknown
    // identifier, which would reveal that the identity exists. So such a hash is checked beside
    // a dummy verification, and the check takes at least as long as one.
    const needsRehash = this.#isBelowConfiguredCost(parsed);
    const check = verifyParsed(password, parsed);
    const matches = needsRehash
      ? (await Promise.all([check, this.verifyDummy(password)]))[0]
      : await check;
    return matches ? { outcome: "match", needsRehash } : { outcome: "mismatch" };
  }

  /**
   * Spends the time of one verification at the configured parameters without a stored hash,
   * for unknown identifiers and identities without a password, so that response times do not
   * reveal whether an identity exists.
   */
  async verifyDummy(password: string): Promise<void> {
    await verifyArgon2(password, this.#dummyHash);
  }

  /**
   * Reports whether a stored hash should be replaced on the next successful login. That is the
   * case for any algorithm other than argon2id and for Argon2 1.0. It is also the case for memory,
   * passes, key or salt below the configured parameters, and for a hash that cannot be parsed.
   */
  needsRehash(encodedHash: string): boolean {
    const parsed = parsePasswordHash(encodedHash);
    return isHashFormatError(parsed) || this.#isBelowConfiguredCost(parsed);
  }

  #isBelowConfiguredCost(parsed: ParsedPasswordHash): boolean {
    if (parsed.algorithm !== "argon2id") {
      return true;
    }
    const configured = this.parameters;
    return (
      parsed.version !== 0x13 ||
      parsed.memoryCost < configured.memoryCost ||
      parsed.timeCost < configured.timeCost ||
      parsed.hash.length < configured.hashLength ||
      parsed.salt.length < configured.saltLength
    );
  }
}

function hashArgon2id(password: Buffer, parameters: Readonly<Argon2Parameters>): Promise<string> {
  return argon2.hash(password, {
    type: argon2.argon2id,
    memoryCost: parameters.memoryCost,
    timeCost: parameters.timeCost,
    parallelism: parameters.parallelism,
    hashLength: parameters.hashLength,
    salt: randomBytes(parameters.saltLength),
  });
}

/** Derives the key with the stored parameters and compares it; parsing is ours, not argon2's. */
async function verifyArgon2(password: string, stored: Argon2Hash): Promise<boolean> {
  const derived = await argon2.hash(Buffer.from(password, "utf8"), {
    raw: true,
    type: stored.algorithm === "argon2id" ? argon2.argon2id : argon2.argon2i,
    version: stored.version,
    memoryCost: stored.memoryCost,
    timeCost: stored.timeCost,
    parallelism: stored.parallelism,
    hashLength: stored.hash.length,
    salt: stored.salt,
  });
  return timingSafeEqual(derived, stored.hash);
}

async function verifyBcrypt(password: string, encoded: string): Promise<boolean> {
  if (Buffer.byteLength(password, "utf8") > bcryptMaxPasswordBytes) {
    return false;
  }
  // bcryptjs compares the encoded results in constant time.
  return bcrypt.compare(password, encoded);
}

async function verifyPbkdf2(password: string, stored: Pbkdf2Hash): Promise<boolean> {
  const derived = await pbkdf2Async(
    Buffer.from(password, "utf8"),
    stored.salt,
    stored.iterations,
    stored.hash.length,
    stored.digest,
  );
  return timingSafeEqual(derived, stored.hash);
}

async function verifyScrypt(password: string, stored: ScryptHash): Promise<boolean> {
  const derived = await scryptAsync(
    Buffer.from(password, "utf8"),
    stored.salt,
    stored.hash.length,
    {
      N: stored.cost,
      r: stored.blockSize,
      p: stored.parallelization,
      maxmem: scryptMemoryBytes(stored),
    },
  );
  return timingSafeEqual(derived, stored.hash);
}

/** Digests the parts in order. The parser checked the stored digest's length for the algorithm. */
function verifyDigest(password: string, stored: DigestHash): boolean {
  const digest = createHash(stored.digest);
  for (const part of stored.input) {
    if (part === "password") digest.update(password, "utf8");
    else if (part === "salt") digest.update(stored.salt);
    else digest.update(part);
  }
  return timingSafeEqual(digest.digest(), stored.hash);
}

/** Compares a password with a parsed hash of any supported algorithm. */
async function verifyParsed(password: string, parsed: ParsedPasswordHash): Promise<boolean> {
  switch (parsed.algorithm) {
    case "argon2id":
    case "argon2i":
      return verifyArgon2(password, parsed);
    case "bcrypt":
      return verifyBcrypt(password, parsed.encoded);
    case "pbkdf2":
      return verifyPbkdf2(password, parsed);
    case "scrypt":
      return verifyScrypt(password, parsed);
    case "ssha":
    case "md5":
      return verifyDigest(password, parsed);
  }
}
