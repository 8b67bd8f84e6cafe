import { randomUUID } from "node:crypto";
import type { ClaimKeyHasher } from "../personal-data/claim-key.ts";
import {
  type ChallengeMethod,
  challengeSecretMatches,
  codePattern,
  generateCode,
  generateLinkToken,
  hashChallengeSecret,
  linkTokenPattern,
} from "./codes.ts";
import type { Flow } from "./flow-store.ts";

/** Wrong code submissions a flow accepts; the last one invalidates the flow, as in Kratos. */
export const maxCodeSubmissions = 5;

/** Name of the counter in `flows.internal` that `FlowStore.increment` raises per submission. */
export const codeSubmissionsCounter = "codeSubmissions";

/**
 * The code or link sent last in a recovery or verification flow, kept in `flows.internal`.
 * Sending another one replaces it, so the previous code or link stops working.
 */
export interface FlowChallenge {
  /** Random id of this challenge, so that using it can be made atomic. */
  id: string;
  method: ChallengeMethod;
  /** HMAC of the code or token from `hashChallengeSecret`; the secret itself is not stored. */
  hash: string;
  expiresAt: string;
  /** The identity the address belongs to; null when the address is unknown. */
  identityId: string | null;
  /** The normalized address the secret was sent to; null for codes an administrator created. */
  address: string | null;
  /** Time the challenge was passed; a used challenge never passes again. */
  usedAt?: string;
}

export interface IssuedChallenge {
  challenge: FlowChallenge;
  /** The code or token to send; it is kept only in memory and, encrypted, in `courier_secrets`. */
  secret: string;
}

/** Creates a challenge with a fresh code or link token for a flow. */
export function issueChallenge(
  hasher: ClaimKeyHasher,
  flowId: string,
  input: { method: ChallengeMethod; identityId: string | null; address: string | null },
  expiresAt: Date,
): IssuedChallenge {
  const secret = input.method === "code" ? generateCode() : generateLinkToken();
  const challenge: FlowChallenge = {
    id: randomUUID(),
    method: input.method,
    hash: hashChallengeSecret(hasher, flowId, input.method, secret),
    expiresAt: expiresAt.toISOString(),
    identityId: input.identityId,
    address: input.address,
  };
  return { challenge, secret };
}

/** Reads the current challenge of a flow, or undefined when none was sent. */
export function challengeOf(flow: Flow): FlowChallenge | undefined {
  const challenge = flow.internal.challenge;
  if (challenge === null || typeof challenge !== "object") return undefined;
  return challenge as FlowChallenge;
}

/** Returns whether the flow used up its code submissions and so accepts no further input. */
export function isFlowInvalidated(flow: Flow): boolean {
  const submissions = Number(flow.internal[codeSubmissionsCounter] ?? 0);
  return submissions >= maxCodeSubmissions;
}

/**
 * Checks a submitted code or token against the flow's challenge: the method must match, the
 * challenge must be unused and unexpired, and the secret must match in constant time. Returns
 * the challenge that passed, or undefined.
 */
export function matchChallenge(
  hasher: ClaimKeyHasher,
  flow: Flow,
  method: ChallengeMethod,
  candidate: string,
  now: Date,
): FlowChallenge | undefined {
  const challenge = challengeOf(flow);
  const pattern = method === "code" ? codePattern : linkTokenPattern;
  if (!challenge || challenge.method !== method || challenge.usedAt !== undefined) return undefined;
  if (Date.parse(challenge.expiresAt) <= now.getTime()) return undefined;
  if (!pattern.test(candidate)) return undefined;

  const matches = challengeSecretMatches(hasher, flow.id, method, candidate, challenge.hash);
  return matches ? challenge : undefined;
}
