import { describe, expect, it } from "vitest";
import type { IdentityCommand, SessionRevoked } from "../../../src/domain/identity/index.ts";
import { foldIdentity } from "../../../src/domain/identity/index.ts";
import {
  decideAfter,
  hashedPassword,
  identityId,
  otherSessionId,
  registered,
  sessionId,
  sessionIssued,
  t0,
  t1,
  t2,
  t3,
  tokenHash,
  tomorrow,
} from "./fixtures.ts";

const expiredSessionId = "4c5d6e7f-8a9b-4c0d-9e1f-3a4b5c6d7e8f";
const revoked: SessionRevoked = {
  type: "SessionRevoked",
  data: { identityId, sessionId: otherSessionId, reason: "logout", revokedAt: t1 },
};
const withSessions = [
  registered,
  sessionIssued(expiredSessionId, t0, t1),
  sessionIssued(sessionId, t1, tomorrow),
  sessionIssued(otherSessionId, t1, tomorrow),
  revoked,
];

describe("DeactivateIdentity", () => {
  it("deactivates and revokes only active sessions", () => {
    expect(decideAfter(withSessions, { type: "DeactivateIdentity", identityId, now: t2 })).toEqual({
      events: [
        { type: "IdentityDeactivated", data: { identityId, deactivatedAt: t2 } },
        {
          type: "SessionRevoked",
          data: { identityId, sessionId, reason: "identity_deactivated", revokedAt: t2 },
        },
      ],
    });
  });

  it("emits nothing for inactive identity", () => {
    const deactivated = {
      type: "IdentityDeactivated" as const,
      data: { identityId, deactivatedAt: t1 },
    };
    const decision = decideAfter([registered, deactivated], {
      type: "DeactivateIdentity",
      identityId,
      now: t2,
    });
    expect(decision).toEqual({ events: [] });
  });

  it("folds state change time", () => {
    const state = foldIdentity([
      registered,
      { type: "IdentityDeactivated", data: { identityId, deactivatedAt: t1 } },
    ]);
    expect(state).toMatchObject({ identity: { state: "inactive", stateChangedAt: t1 } });
  });
});

describe("ActivateIdentity", () => {
  it("activates inactive identity", () => {
    const deactivated = {
      type: "IdentityDeactivated" as const,
      data: { identityId, deactivatedAt: t1 },
    };
    expect(
      decideAfter([registered, deactivated], { type: "ActivateIdentity", identityId, now: t2 }),
    ).toEqual({ events: [{ type: "IdentityActivated", data: { identityId, activatedAt: t2 } }] });
  });

  it("emits nothing for active identity", () => {
    expect(decideAfter([registered], { type: "ActivateIdentity", identityId, now: t2 })).toEqual({
      events: [],
    });
  });
});

describe("EraseIdentity and DeleteIdentity", () => {
  it("erases after revoking active sessions", () => {
    const decision = decideAfter(withSessions, {
      type: "EraseIdentity",
      identityId,
      reason: "data_subject_request",
      now: t2,
    });
    expect(decision).toEqual({
      events: [
        {
          type: "SessionRevoked",
          data: { identityId, sessionId, reason: "identity_erased", revokedAt: t2 },
        },
        {
          type: "IdentityErased",
          data: { identityId, reason: "data_subject_request", erasedAt: t2 },
        },
      ],
    });
  });

  it("deletes after revoking active sessions", () => {
    const decision = decideAfter(withSessions, { type: "DeleteIdentity", identityId, now: t2 });
    expect(decision).toEqual({
      events: [
        {
          type: "SessionRevoked",
          data: { identityId, sessionId, reason: "identity_deleted", revokedAt: t2 },
        },
        { type: "IdentityDeleted", data: { identityId, deletedAt: t2 } },
      ],
    });
  });

  const everyCommand: IdentityCommand[] = [
    {
      type: "RegisterIdentity",
      identityId,
      schemaId: "default",
      traits: {},
      identifiers: { password: ["a@example.com"] },
      password: { hashedPassword },
      verifiableAddresses: [],
      recoveryAddresses: [],
      now: t3,
    },
    {
      type: "CreateIdentity",
      identityId,
      schemaId: "default",
      traits: {},
      identifiers: {},
      verifiableAddresses: [],
      recoveryAddresses: [],
      now: t3,
    },
    {
      type: "UpdateTraits",
      identityId,
      traits: {},
      identifiers: {},
      verifiableAddresses: [],
      recoveryAddresses: [],
      now: t3,
    },
    { type: "SetMetadata", identityId, metadataPublic: {}, now: t3 },
    {
      type: "ReplaceIdentity",
      identityId,
      schemaId: "default",
      traits: {},
      state: "active",
      identifiers: {},
      verifiableAddresses: [],
      recoveryAddresses: [],
      metadataPublic: null,
      metadataAdmin: null,
      externalId: null,
      now: t3,
    },
    { type: "ChangePassword", identityId, hashedPassword, now: t3 },
    { type: "DeactivateIdentity", identityId, now: t3 },
    { type: "ActivateIdentity", identityId, now: t3 },
    { type: "EraseIdentity", identityId, reason: "other", now: t3 },
    { type: "DeleteIdentity", identityId, now: t3 },
    {
      type: "IssueSession",
      identityId,
      sessionId: "5d6e7f8a-9b0c-4d1e-8f2a-4b5c6d7e8f9a",
      tokenHash,
      authenticationMethods: [{ method: "password", aal: "aal1", completedAt: t3 }],
      expiresAt: "2026-01-03T10:00:00.000Z",
      device: { id: "device" },
      now: t3,
    },
    { type: "RefreshSession", identityId, sessionId, expiresAt: tomorrow, now: t3 },
    { type: "RevokeSession", identityId, sessionId, reason: "logout", now: t3 },
    {
      type: "RevokeSessions",
      identityId,
      sessionIds: [sessionId],
      reason: "revoked_by_admin",
      now: t3,
    },
    { type: "RevokeOtherSessions", identityId, keepSessionId: sessionId, now: t3 },
    { type: "RevokeAllSessions", identityId, reason: "revoked_by_admin", now: t3 },
    { type: "MarkAddressVerified", identityId, via: "email", value: "alice@example.com", now: t3 },
    {
      type: "RequestVerificationMessage",
      identityId,
      messageId: "44444444-4444-4444-8444-444444444444",
      flowId: "55555555-5555-4555-8555-555555555555",
      template: "verification_code_valid",
      via: "email",
      address: "alice@example.com",
      code: "123456",
      expiresAt: tomorrow,
      now: t3,
    },
    {
      type: "RequestRecoveryMessage",
      identityId,
      messageId: "66666666-6666-4666-8666-666666666666",
      flowId: "77777777-7777-4777-8777-777777777777",
      template: "recovery_code_valid",
      via: "email",
      address: "alice@example.com",
      code: "654321",
      expiresAt: tomorrow,
      now: t3,
    },
  ];

  for (const removal of ["IdentityErased", "IdentityDeleted"] as const) {
    const removed =
      removal === "IdentityErased"
        ? { type: removal, data: { identityId, reason: "other" as const, erasedAt: t2 } }
        : { type: removal, data: { identityId, deletedAt: t2 } };

    it(`rejects every command after ${removal}`, () => {
      for (const command of everyCommand) {
        expect(decideAfter([...withSessions, removed], command), command.type).toEqual({
          code: "identity_not_found",
          identityId,
        });
      }
    });
  }

  it("covers every command type", () => {
    // Typed as a record, so a new command type fails the type check until it is listed here.
    const commandTypes: Record<IdentityCommand["type"], true> = {
      RegisterIdentity: true,
      CreateIdentity: true,
      UpdateTraits: true,
      SetMetadata: true,
      ReplaceIdentity: true,
      ChangePassword: true,
      DeactivateIdentity: true,
      ActivateIdentity: true,
      EraseIdentity: true,
      DeleteIdentity: true,
      IssueSession: true,
      RefreshSession: true,
      RevokeSession: true,
      RevokeSessions: true,
      RevokeOtherSessions: true,
      RevokeAllSessions: true,
      MarkAddressVerified: true,
      RequestVerificationMessage: true,
      RequestRecoveryMessage: true,
    };
    const types = new Set(everyCommand.map((command) => command.type));
    expect([...types].sort()).toEqual(Object.keys(commandTypes).sort());
  });

  it("folds erasure into removed state", () => {
    const state = foldIdentity([
      ...withSessions,
      { type: "IdentityErased", data: { identityId, reason: "other", erasedAt: t2 } },
    ]);
    expect(state).toEqual({ status: "removed", identityId, removal: "erased", removedAt: t2 });
  });
});
