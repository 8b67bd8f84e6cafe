import { randomBytes, randomUUID } from "node:crypto";
import type { EventMetadata } from "../../src/eventstore/envelope.ts";
import { PersonalDataError } from "../../src/personal-data/errors.ts";
import { createMasterKeyring, type MasterKeyring } from "../../src/personal-data/master-keyring.ts";

/** Creates a keyring with one random master key and returns both. */
export function freshKeyring(): { masterKey: Buffer; keyring: MasterKeyring } {
  const masterKey = randomBytes(32);
  return { masterKey, keyring: createMasterKeyring({ current: masterKey }) };
}

/** Builds event metadata with a request source, as the HTTP layer records it. */
export function sourceMetadata(ip: string, userAgent: string): EventMetadata {
  return {
    correlationId: randomUUID(),
    causationId: null,
    actor: { type: "anonymous" },
    source: { requestId: randomUUID(), ip, userAgent },
    occurredAt: "2025-03-01T12:00:00.000Z",
  };
}

/** Runs `action` and returns the `code` of the `PersonalDataError` it raises. */
export function errorCode(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (error instanceof PersonalDataError) return error.code;
    throw error;
  }
  return "no error raised";
}

/** Awaits `promise` and returns the `code` of the `PersonalDataError` it rejects with. */
export async function rejectionCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof PersonalDataError) return error.code;
    throw error;
  }
  return "no error raised";
}
