import { boundedBase64Field, decodeBase64 } from "./base64.ts";
import type { PasswordHashFormatError } from "./password-hash-format.ts";

/**
 * An scrypt hash in Kratos's format,
 * `$scrypt$ln=<N>,r=<block size>,p=<parallelization>$<salt>$<key>`, with salt and key in
 * standard base64.
 *
 * Despite its name, `ln=` is the cost N itself, not log2 N as in passlib's format of the same
 * name, because Kratos (`hash/hash_comparator.go`, `decodeScryptHash`) passes the value straight
 * to `scrypt.Key` as N, and its tests import `ln=16384`. Registrar reads it the same way, so that
 * a hash exported for Kratos verifies here.
 */
export interface ScryptHash {
  algorithm: "scrypt";
  /** CPU and memory cost N, a power of two. */
  cost: number;
  blockSize: number;
  parallelization: number;
  salt: Buffer;
  hash: Buffer;
}

/**
 * Bounds for imported scrypt hashes. One verification takes time proportional to the work
 * 128 × N × r × p bytes, and about 128 × N × r bytes of memory, so capping the work at 128 MiB
 * caps both. The cap admits the minimum that the OWASP Password Storage Cheat Sheet (May 2023)
 * recommends, N = 2^17, r = 8 and p = 1, which is exactly 128 MiB. At the cap,
 * `crypto.scryptSync` took 0.75 s on a 2-core machine with Node 20. N below 1024 is rejected
 * because such a value is almost always a passlib-style log2 N (for example `ln=16`), which
 * would never verify under Kratos's reading of `ln`.
 */
export const scryptLimits = Object.freeze({
  minCost: 1024,
  maxWorkBytes: 128 * 1024 * 1024,
  minSaltBytes: 8,
  maxSaltBytes: 64,
  minHashBytes: 16,
  maxHashBytes: 64,
});

const scryptPattern = new RegExp(
  `^\\$scrypt\\$ln=(\\d{1,9}),r=(\\d{1,4}),p=(\\d{1,4})` +
    `\\$${boundedBase64Field(scryptLimits.maxSaltBytes)}` +
    `\\$${boundedBase64Field(scryptLimits.maxHashBytes)}$`,
);

const malformed: PasswordHashFormatError = Object.freeze({ failure: "malformed_hash" });

/** Parses an `$scrypt$` hash, returning `malformed_hash` for bad syntax or out-of-range values. */
export function parseScrypt(encoded: string): ScryptHash | PasswordHashFormatError {
  const match = scryptPattern.exec(encoded);
  if (!match) {
    return malformed;
  }

  const [, cost, blockSize, parallelization, encodedSalt, encodedHash] = match;
  const salt = decodeBase64(encodedSalt!);
  const hash = decodeBase64(encodedHash!);
  if (!salt || !hash) {
    return malformed;
  }
  const parsed: ScryptHash = {
    algorithm: "scrypt",
    cost: Number(cost),
    blockSize: Number(blockSize),
    parallelization: Number(parallelization),
    salt,
    hash,
  };
  return hasValidScryptParameters(parsed) ? parsed : malformed;
}

function hasValidScryptParameters(parsed: ScryptHash): boolean {
  const limits = scryptLimits;
  const { cost, blockSize, parallelization } = parsed;
  const work = 128 * cost * blockSize * parallelization;
  return (
    Number.isInteger(Math.log2(cost)) &&
    cost >= limits.minCost &&
    blockSize >= 1 &&
    parallelization >= 1 &&
    // scrypt requires N < 2^(128 × r / 8), which only r = 1 can break within the work limit.
    Math.log2(cost) < 16 * blockSize &&
    work <= limits.maxWorkBytes &&
    parsed.salt.length >= limits.minSaltBytes &&
    parsed.salt.length <= limits.maxSaltBytes &&
    parsed.hash.length >= limits.minHashBytes &&
    parsed.hash.length <= limits.maxHashBytes
  );
}

/**
 * Returns the `maxmem` that scrypt needs for these parameters. OpenSSL allocates 128 × r × (N + 2)
 * bytes for the working array and 128 × r × p for the blocks. It rejects a call whose total
 * exceeds `maxmem`, which defaults to 32 MiB in Node.
 */
export function scryptMemoryBytes(stored: ScryptHash): number {
  return 128 * stored.blockSize * (stored.cost + stored.parallelization + 2);
}
