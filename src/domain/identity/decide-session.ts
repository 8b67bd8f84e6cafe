import { sessionAssuranceLevel } from "./assurance-level.ts";
import type {
  IssueSession,
  RefreshSession,
  RevokeAllSessions,
  RevokeOtherSessions,
  RevokeSession,
  RevokeSessions,
} from "./commands.ts";
import { accept, type Decision } from "./decision.ts";
import { type DomainError, isDomainError } from "./errors.ts";
import type { SessionIssued } from "./events.ts";
import { requireExisting, requirePasswordHash } from "./guards.ts";
import type { Session } from "./model.ts";
import { activeSessions, revokeSessions } from "./session-revocation.ts";
import type { ExistingIdentity, IdentityStreamState } from "./state.ts";

const sha256Hex = /^[0-9a-f]{64}$/;

/**
 * Decides a new session for an active identity. Its assurance level follows from the methods.
 * A superseded session that is still active is revoked with reason `superseded`. A superseded
 * session that has already ended is left alone, so a re-login after expiry does not fail.
 */
export function decideIssueSession(command: IssueSession, state: IdentityStreamState): Decision {
  const existing = requireActive(state, command.identityId);
  if (isDomainError(existing)) {
    return existing;
  }
  const problem = checkIssue(command, existing);
  if (problem) {
    return problem;
  }
  const changed = requirePasswordHash(existing, command.verifiedPasswordHash);
  if (changed) {
    return changed;
  }

  const superseded = activeSessions(existing, command.now).filter(
    (session) => session.id === command.supersedesSessionId,
  );
  return accept(
    issuedEvent(command),
    ...revokeSessions(existing, superseded, "superseded", command.now),
  );
}

function checkIssue(command: IssueSession, existing: ExistingIdentity): DomainError | null {
  if (existing.sessions.has(command.sessionId)) {
    return { code: "session_already_exists", sessionId: command.sessionId };
  }
  if (!sha256Hex.test(command.tokenHash)) {
    return {
      code: "invalid_argument",
      field: "tokenHash",
      reason: "the token hash must be 64 lower-case hex digits (SHA-256)",
    };
  }
  if (command.authenticationMethods.length === 0) {
    return {
      code: "invalid_argument",
      field: "authenticationMethods",
      reason: "a session needs at least one completed authentication method",
    };
  }
  if (Date.parse(command.expiresAt) <= Date.parse(command.now)) {
    return {
      code: "invalid_argument",
      field: "expiresAt",
      reason: "the expiry is not in the future",
    };
  }
  return null;
}

function issuedEvent(command: IssueSession): SessionIssued {
  const methods = command.authenticationMethods.map((method) => ({ ...method }));
  const lastCompleted = methods
    .map((method) => method.completedAt)
    .reduce((latest, time) => (Date.parse(time) > Date.parse(latest) ? time : latest));
  return {
    type: "SessionIssued",
    data: {
      identityId: command.identityId,
      sessionId: command.sessionId,
      tokenHash: command.tokenHash,
      aal: sessionAssuranceLevel(methods),
      authenticationMethods: methods,
      issuedAt: command.now,
      authenticatedAt: command.authenticatedAt ?? lastCompleted,
      expiresAt: command.expiresAt,
      device: { ...command.device },
    },
  };
}

/**
 * Decides a new expiry for a session that is still active, of an active identity. Returns
 * `session_inactive` for a revoked or expired session.
 */
export function decideRefreshSession(
  command: RefreshSession,
  state: IdentityStreamState,
): Decision {
  const existing = requireActive(state, command.identityId);
  if (isDomainError(existing)) {
    return existing;
  }
  const session = findSession(existing, command.sessionId);
  if (isDomainError(session)) {
    return session;
  }
  if (session.revokedAt !== null) {
    return { code: "session_inactive", sessionId: session.id, reason: "revoked" };
  }
  if (Date.parse(session.expiresAt) <= Date.parse(command.now)) {
    return { code: "session_inactive", sessionId: session.id, reason: "expired" };
  }
  if (Date.parse(command.expiresAt) <= Date.parse(command.now)) {
    return {
      code: "invalid_argument",
      field: "expiresAt",
      reason: "the expiry is not in the future",
    };
  }

  return accept({
    type: "SessionRefreshed",
    data: {
      identityId: command.identityId,
      sessionId: session.id,
      expiresAt: command.expiresAt,
      refreshedAt: command.now,
    },
  });
}

/**
 * Decides the revocation of one session. Revoking a session that is already revoked or expired
 * changes nothing. An unknown id, or one pruned after its expiry, is `session_not_found`.
 */
export function decideRevokeSession(command: RevokeSession, state: IdentityStreamState): Decision {
  const existing = requireExisting(state, command.identityId);
  if (isDomainError(existing)) {
    return existing;
  }
  const session = findSession(existing, command.sessionId);
  if (isDomainError(session)) {
    return session;
  }

  const active = activeSessions(existing, command.now).filter((s) => s.id === session.id);
  return accept(...revokeSessions(existing, active, command.reason, command.now));
}

/**
 * Decides the revocation of the listed sessions that are still active. Ids of sessions that are
 * unknown, already revoked or expired produce no event and no error.
 */
export function decideRevokeSessions(
  command: RevokeSessions,
  state: IdentityStreamState,
): Decision {
  const existing = requireExisting(state, command.identityId);
  if (isDomainError(existing)) {
    return existing;
  }
  const listed = new Set(command.sessionIds);
  const sessions = activeSessions(existing, command.now).filter((s) => listed.has(s.id));
  return accept(...revokeSessions(existing, sessions, command.reason, command.now));
}

/** Decides the revocation of every active session but `keepSessionId`, as `revoked_by_identity`. */
export function decideRevokeOtherSessions(
  command: RevokeOtherSessions,
  state: IdentityStreamState,
): Decision {
  const existing = requireExisting(state, command.identityId);
  if (isDomainError(existing)) {
    return existing;
  }
  const others = activeSessions(existing, command.now).filter(
    (session) => session.id !== command.keepSessionId,
  );
  return accept(...revokeSessions(existing, others, "revoked_by_identity", command.now));
}

/** Decides the revocation of every active session of the identity. */
export function decideRevokeAllSessions(
  command: RevokeAllSessions,
  state: IdentityStreamState,
): Decision {
  const existing = requireExisting(state, command.identityId);
  if (isDomainError(existing)) {
    return existing;
  }
  const sessions = activeSessions(existing, command.now);
  return accept(...revokeSessions(existing, sessions, command.reason, command.now));
}

function requireActive(
  state: IdentityStreamState,
  identityId: string,
): ExistingIdentity | DomainError {
  const existing = requireExisting(state, identityId);
  if (isDomainError(existing)) {
    return existing;
  }
  if (existing.identity.state !== "active") {
    return { code: "identity_inactive", identityId };
  }
  return existing;
}

function findSession(existing: ExistingIdentity, sessionId: string): Session | DomainError {
  return existing.sessions.get(sessionId) ?? { code: "session_not_found", sessionId };
}
