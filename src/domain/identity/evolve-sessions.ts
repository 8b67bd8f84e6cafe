import type { SessionIssued, SessionRefreshed, SessionRevoked } from "./events.ts";
import type { Session } from "./model.ts";
import type { ExistingIdentity } from "./state.ts";

/**
 * Applies a session event. Issuing a session also drops every session that expired by the new
 * one's issue time, so the state keeps only sessions that may still be active or were revoked
 * since. This uses event times only, so folding stays deterministic.
 */
export function evolveSessions(
  state: ExistingIdentity,
  event: SessionIssued | SessionRefreshed | SessionRevoked,
): ExistingIdentity {
  const sessions = new Map(state.sessions);
  switch (event.type) {
    case "SessionIssued": {
      const issuedAt = Date.parse(event.data.issuedAt);
      for (const [id, session] of sessions) {
        if (Date.parse(session.expiresAt) <= issuedAt) sessions.delete(id);
      }
      sessions.set(event.data.sessionId, issuedSession(event));
      break;
    }
    case "SessionRefreshed":
      update(sessions, event.data.sessionId, { expiresAt: event.data.expiresAt });
      break;
    case "SessionRevoked":
      update(sessions, event.data.sessionId, { revokedAt: event.data.revokedAt });
      break;
  }
  return { ...state, sessions };
}

function issuedSession({ data }: SessionIssued): Session {
  return {
    id: data.sessionId,
    tokenHash: data.tokenHash,
    aal: data.aal,
    authenticationMethods: data.authenticationMethods.map((method) => ({ ...method })),
    issuedAt: data.issuedAt,
    authenticatedAt: data.authenticatedAt,
    expiresAt: data.expiresAt,
    devices: [{ ...data.device }],
    revokedAt: null,
  };
}

function update(sessions: Map<string, Session>, id: string, change: Partial<Session>): void {
  const session = sessions.get(id);
  if (session) {
    sessions.set(id, { ...session, ...change });
  }
}
