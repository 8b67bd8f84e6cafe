import type {
  Decision,
  IdentityCommand,
  IdentityEvent,
  IdentityRegistered,
  IdentityStreamState,
  SessionIssued,
} from "../../../src/domain/identity/index.ts";
import { decideIdentityCommand, foldIdentity } from "../../../src/domain/identity/index.ts";

export const identityId = "0b6f4a52-4d0e-4f4e-9a43-3f0d1c2e5a10";
export const addressId = "5e0d3c1a-8c51-4b9b-8f6b-0f5d7e0b9a21";
export const recoveryId = "7f1c2d3e-4b5a-4c6d-8e9f-a0b1c2d3e4f5";
export const sessionId = "2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d";
export const otherSessionId = "3b4c5d6e-7f8a-4b9c-8d1e-2f3a4b5c6d7e";
export const hashedPassword =
  "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA";
export const tokenHash = "a".repeat(64);

export const t0 = "2026-01-01T10:00:00.000Z";
export const t1 = "2026-01-01T11:00:00.000Z";
export const t2 = "2026-01-01T12:00:00.000Z";
export const t3 = "2026-01-02T10:00:00.000Z";
export const tomorrow = "2026-01-02T12:00:00.000Z";

/** Folds the given events and decides the command against the result. */
export function decideAfter(given: readonly IdentityEvent[], command: IdentityCommand): Decision {
  const state: IdentityStreamState = foldIdentity(given);
  return decideIdentityCommand(command, state);
}

/** An identity registered at t0 with email alice@example.com as identifier and addresses. */
export const registered: IdentityRegistered = {
  type: "IdentityRegistered",
  data: {
    identityId,
    schemaId: "default",
    traits: { email: "alice@example.com" },
    credentials: {
      password: { identifiers: ["alice@example.com"], config: { hashedPassword } },
    },
    verifiableAddresses: [
      {
        id: addressId,
        value: "alice@example.com",
        via: "email",
        status: "pending",
        verified: false,
        verifiedAt: null,
      },
    ],
    recoveryAddresses: [{ id: recoveryId, value: "alice@example.com", via: "email" }],
    registeredAt: t0,
  },
};

/** Builds a password session issued at `issuedAt` that expires at `expiresAt`. */
export function sessionIssued(id: string, issuedAt: string, expiresAt: string): SessionIssued {
  return {
    type: "SessionIssued",
    data: {
      identityId,
      sessionId: id,
      tokenHash,
      aal: "aal1",
      authenticationMethods: [{ method: "password", aal: "aal1", completedAt: issuedAt }],
      issuedAt,
      authenticatedAt: issuedAt,
      expiresAt,
      device: { id: `device-${id}`, ipAddress: "192.0.2.10", userAgent: "test-agent" },
    },
  };
}
