import { randomBytes, randomInt, timingSafeEqual } from "node:crypto";
import type { ClaimKeyHasher } from "../personal-data/claim-key.ts";

/** Digits of a verification or recovery code, as Kratos sends them. */
export const codeLength = 6;

/** Matches a well-formed code; anything else cannot match and is rejected early. */
export const codePattern = /^\d{6}$/;

/** Matches a link token as `generateLinkToken` writes it: 32 bytes in base64url. */
export const linkTokenPattern = /^[A-Za-z0-9_-]{43}$/;

/** Kind of secret a flow's challenge sends: a code to type in or a link to open. */
export type ChallengeMethod = "code" | "link";

/**
 * Generates a six-digit code with the operating system's CSPRNG. Six digits carry about 20 bits,
 * which is only safe with the attempt limit per flow and the short lifespan.
 */
export function generateCode(): string {
  return String(randomInt(0, 10 ** codeLength)).padStart(codeLength, "0");
}

/** Generates a link token of 256 random bits in base64url. */
export function generateLinkToken(): string {
  return randomBytes(32).toString("base64url");
}

/**
 * Computes the HMAC-SHA-256 of a code or link token, keyed with the claim key secret and bound
 * to the flow and the method. Only this hash is stored, and because the key is not in the
 * database, a copy of the flows table does not let anyone try all million codes offline.
 */
export function hashChallengeSecret(
  hasher: ClaimKeyHasher,
  flowId: string,
  method: ChallengeMethod,
  secret: string,
): string {
  return hasher.claimKey(`flow_challenge:${method}:${flowId}`, secret);
}

/** Compares a submitted code or token with the stored hash in constant time. */
export function challengeSecretMatches(
  hasher: ClaimKeyHasher,
  flowId: string,
  method: ChallengeMethod,
  candidate: string,
  expectedHash: string,
): boolean {
  const actual = Buffer.from(hashChallengeSecret(hasher, flowId, method, candidate));
  const expected = Buffer.from(expectedHash);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
