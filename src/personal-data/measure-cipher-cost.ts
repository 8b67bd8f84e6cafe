import { createSecretKey, randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { openField, parseFieldToken, sealField } from "./field-token.ts";

export interface CipherCost {
  iterations: number;
  /** Mean time to encrypt one field, in microseconds. */
  encryptMicroseconds: number;
  /** Mean time to parse and decrypt one field, in microseconds. */
  decryptMicroseconds: number;
}

/**
 * Measures the CPU cost of encrypting and decrypting one field with a key already in memory,
 * which is the per-event cost once the data key is cached. Key lookups are not included.
 */
export function measureFieldCipherCost(
  iterations = 10_000,
  value: unknown = { email: "ada@example.com", name: { first: "Ada", last: "Lovelace" } },
): CipherCost {
  const key = createSecretKey(randomBytes(32));
  const subjectId = "0b7e3a52-6f0c-4f7e-9a43-2d1c5e8f9a10";
  const tokens: string[] = [];

  const encryptStart = performance.now();
  for (let i = 0; i < iterations; i++) {
    tokens.push(sealField(key, subjectId, "IdentityRegistered", "data.traits", value));
  }
  const encryptElapsed = performance.now() - encryptStart;

  const decryptStart = performance.now();
  for (const token of tokens) {
    openField(key, parseFieldToken(token), "IdentityRegistered", "data.traits");
  }
  const decryptElapsed = performance.now() - decryptStart;

  return {
    iterations,
    encryptMicroseconds: (encryptElapsed * 1000) / iterations,
    decryptMicroseconds: (decryptElapsed * 1000) / iterations,
  };
}
