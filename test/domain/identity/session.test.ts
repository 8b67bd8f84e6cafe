import { describe, expect, it } from "vitest";
import type { IssueSession } from "../../../src/domain/identity/index.ts";
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

const issue: IssueSession = {
  type: "IssueSession",
  identityId,
  sessionId,
  tokenHash,
  authenticationMethods: [
    { method: "password", aal: "aal1", completedAt: t0 },
    { method: "totp", aal: "aal2", completedAt: t1 },
  ],
  expiresAt: tomorrow,
  device: { id: "device-1", ipAddress: "192.0.2.10", userAgent: "test-agent" },
  now: t1,
};

const deactivated = {
  type: "IdentityDeactivated" as const,
  data: { identityId, deactivatedAt: t1 },
};

describe("IssueSession", () => {
  it("issues aal2 session after password and totp", () => {
    expect(decideAfter([registered], issue)).toEqual({
      events: [
        {
          type: "SessionIssued",
          data: {
            identityId,
            sessionId,
            tokenHash,
            aal: "aal2",
            authenticationMethods: issue.authenticationMethods,
            issuedAt: t1,
            authenticatedAt: t1,
            expiresAt: tomorrow,
            device: issue.device,
          },
        },
      ],
    });
  });

  it("accepts the verified password hash", () => {
    const decision = decideAfter([registered], { ...issue, verifiedPasswordHash: hashedPassword });
    expect(decision).toMatchObject({ events: [{ type: "SessionIssued" }] });
  });

  it("rejects a password changed since verification", () => {
    const changed = {
      type: "PasswordChanged" as const,
      data: {
        identityId,
        hashedPassword: "$argon2id$v=19$m=19456,t=2,p=1$bmV3$bmV3",
        changedAt: t1,
      },
    };
    expect(
      decideAfter([registered, changed], { ...issue, verifiedPasswordHash: hashedPassword }),
    ).toEqual({ code: "credential_changed", identityId });
  });

  it("rejects inactive identity", () => {
    expect(decideAfter([registered, deactivated], issue)).toEqual({
      code: "identity_inactive",
      identityId,
    });
  });

  it("rejects reused session id", () => {
    expect(decideAfter([registered, sessionIssued(sessionId, t0, tomorrow)], issue)).toEqual({
      code: "session_already_exists",
      sessionId,
    });
  });

  it("rejects token hash that is not SHA-256 hex", () => {
    expect(decideAfter([registered], { ...issue, tokenHash: "A".repeat(64) })).toMatchObject({
      code: "invalid_argument",
      field: "tokenHash",
    });
  });

  it("rejects session without methods", () => {
    expect(decideAfter([registered], { ...issue, authenticationMethods: [] })).toMatchObject({
      code: "invalid_argument",
      field: "authenticationMethods",
    });
  });

  it("rejects expiry not after issue time", () => {
    expect(decideAfter([registered], { ...issue, expiresAt: t1 })).toMatchObject({
      code: "invalid_argument",
      field: "expiresAt",
    });
  });

  it("revokes superseded active session", () => {
    const decision = decideAfter([registered, sessionIssued(otherSessionId, t0, tomorrow)], {
      ...issue,
      supersedesSessionId: otherSessionId,
    });
    expect(decision).toMatchObject({
      events: [
        { type: "SessionIssued", data: { sessionId } },
        {
          type: "SessionRevoked",
          data: { sessionId: otherSessionId, reason: "superseded", revokedAt: t1 },
        },
      ],
    });
  });

  it("ignores superseded session that expired", () => {
    const decision = decideAfter([registered, sessionIssued(otherSessionId, t0, t1)], {
      ...issue,
      supersedesSessionId: otherSessionId,
    });
    if (!("events" in decision)) throw new Error(`unexpected ${decision.code}`);
    expect(decision.events.map((event) => event.type)).toEqual(["SessionIssued"]);
  });

  it("prunes expired sessions when folding", () => {
    const state = foldIdentity([
      registered,
      sessionIssued(otherSessionId, t0, t1),
      sessionIssued(sessionId, t2, tomorrow),
    ]);
    if (state.status !== "existing") throw new Error("identity missing");
    expect([...state.sessions.keys()]).toEqual([sessionId]);
  });
});

describe("RefreshSession", () => {
  const given = [registered, sessionIssued(sessionId, t0, t2)];

  it("moves expiry of active session", () => {
    expect(
      decideAfter(given, {
        type: "RefreshSession",
        identityId,
        sessionId,
        expiresAt: tomorrow,
        now: t1,
      }),
    ).toEqual({
      events: [
        {
          type: "SessionRefreshed",
          data: { identityId, sessionId, expiresAt: tomorrow, refreshedAt: t1 },
        },
      ],
    });
  });

  it("rejects expired session", () => {
    expect(
      decideAfter(given, {
        type: "RefreshSession",
        identityId,
        sessionId,
        expiresAt: tomorrow,
        now: t3,
      }),
    ).toEqual({ code: "session_inactive", sessionId, reason: "expired" });
  });

  it("rejects revoked session", () => {
    const revoked = {
      type: "SessionRevoked" as const,
      data: { identityId, sessionId, reason: "logout" as const, revokedAt: t1 },
    };
    expect(
      decideAfter([...given, revoked], {
        type: "RefreshSession",
        identityId,
        sessionId,
        expiresAt: tomorrow,
        now: t1,
      }),
    ).toEqual({ code: "session_inactive", sessionId, reason: "revoked" });
  });

  it("rejects unknown session", () => {
    expect(
      decideAfter([registered], {
        type: "RefreshSession",
        identityId,
        sessionId,
        expiresAt: tomorrow,
        now: t1,
      }),
    ).toEqual({ code: "session_not_found", sessionId });
  });

  it("rejects session of inactive identity", () => {
    expect(
      decideAfter([...given, deactivated], {
        type: "RefreshSession",
        identityId,
        sessionId,
        expiresAt: tomorrow,
        now: t1,
      }),
    ).toEqual({ code: "identity_inactive", identityId });
  });

  it("folds new expiry", () => {
    const state = foldIdentity([
      ...given,
      {
        type: "SessionRefreshed",
        data: { identityId, sessionId, expiresAt: tomorrow, refreshedAt: t1 },
      },
    ]);
    if (state.status !== "existing") throw new Error("identity missing");
    expect(state.sessions.get(sessionId)?.expiresAt).toBe(tomorrow);
  });
});

describe("RevokeSession", () => {
  const given = [registered, sessionIssued(sessionId, t0, tomorrow)];

  it("revokes active session with reason", () => {
    expect(
      decideAfter(given, {
        type: "RevokeSession",
        identityId,
        sessionId,
        reason: "logout",
        now: t1,
      }),
    ).toEqual({
      events: [
        {
          type: "SessionRevoked",
          data: { identityId, sessionId, reason: "logout", revokedAt: t1 },
        },
      ],
    });
  });

  it("emits nothing for revoked session", () => {
    const revoked = {
      type: "SessionRevoked" as const,
      data: { identityId, sessionId, reason: "logout" as const, revokedAt: t1 },
    };
    expect(
      decideAfter([...given, revoked], {
        type: "RevokeSession",
        identityId,
        sessionId,
        reason: "revoked_by_admin",
        now: t2,
      }),
    ).toEqual({ events: [] });
  });

  it("rejects unknown session", () => {
    expect(
      decideAfter([registered], {
        type: "RevokeSession",
        identityId,
        sessionId,
        reason: "logout",
        now: t1,
      }),
    ).toEqual({ code: "session_not_found", sessionId });
  });
});

describe("RevokeOtherSessions and RevokeAllSessions", () => {
  const thirdSessionId = "6e7f8a9b-0c1d-4e2f-9a3b-5c6d7e8f9a0b";
  const given = [
    registered,
    sessionIssued(sessionId, t0, tomorrow),
    sessionIssued(otherSessionId, t0, tomorrow),
    sessionIssued(thirdSessionId, t0, tomorrow),
  ];

  it("keeps the caller's session", () => {
    const decision = decideAfter(given, {
      type: "RevokeOtherSessions",
      identityId,
      keepSessionId: sessionId,
      now: t1,
    });
    expect(decision).toEqual({
      events: [otherSessionId, thirdSessionId].map((id) => ({
        type: "SessionRevoked",
        data: { identityId, sessionId: id, reason: "revoked_by_identity", revokedAt: t1 },
      })),
    });
  });

  it("revokes every active session", () => {
    const decision = decideAfter(given, {
      type: "RevokeAllSessions",
      identityId,
      reason: "revoked_by_admin",
      now: t1,
    });
    expect("events" in decision && decision.events.map((event) => event.data)).toEqual(
      [sessionId, otherSessionId, thirdSessionId].map((id) => ({
        identityId,
        sessionId: id,
        reason: "revoked_by_admin",
        revokedAt: t1,
      })),
    );
  });
});

describe("RevokeSessions", () => {
  const expiredSessionId = "7f8a9b0c-1d2e-4f3a-8b4c-6d7e8f9a0b1c";
  const unknownSessionId = "8a9b0c1d-2e3f-4a4b-9c5d-7e8f9a0b1c2d";
  const given = [
    registered,
    sessionIssued(expiredSessionId, t0, t1),
    sessionIssued(sessionId, t0, tomorrow),
    sessionIssued(otherSessionId, t0, tomorrow),
  ];

  it("revokes only listed active sessions", () => {
    const decision = decideAfter(given, {
      type: "RevokeSessions",
      identityId,
      sessionIds: [otherSessionId, expiredSessionId, unknownSessionId],
      reason: "revoked_by_admin",
      now: t2,
    });
    expect(decision).toEqual({
      events: [
        {
          type: "SessionRevoked",
          data: {
            identityId,
            sessionId: otherSessionId,
            reason: "revoked_by_admin",
            revokedAt: t2,
          },
        },
      ],
    });
  });

  it("emits nothing for unknown ids", () => {
    const decision = decideAfter(given, {
      type: "RevokeSessions",
      identityId,
      sessionIds: [unknownSessionId],
      reason: "revoked_by_admin",
      now: t2,
    });
    expect(decision).toEqual({ events: [] });
  });

  it("rejects unknown identity", () => {
    const decision = decideAfter([], {
      type: "RevokeSessions",
      identityId,
      sessionIds: [sessionId],
      reason: "revoked_by_admin",
      now: t2,
    });
    expect(decision).toEqual({ code: "identity_not_found", identityId });
  });
});
