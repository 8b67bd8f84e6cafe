import type { Timestamp } from "../event.ts";
import type { SessionRevocationReason, SessionRevoked } from "./events.ts";
import type { Session } from "./model.ts";
import type { ExistingIdentity } from "./state.ts";

/** Lists the sessions that are neither revoked nor expired at `now`, in issue order. */
export function activeSessions(state: ExistingIdentity, now: Timestamp): Session[] {
  const at = Date.parse(now);
  return [...state.sessions.values()].filter(
    (session) => session.revokedAt === null && Date.parse(session.expiresAt) > at,
  );
}

/** Builds one `SessionRevoked` per session, in the order given. */
export function revokeSessions(
  state: ExistingIdentity,
  sessions: readonly Session[],
  reason: SessionRevocationReason,
  now: Timestamp,
): SessionRevoked[] {
  return sessions.map((session) => ({
    type: "SessionRevoked",
    data: { identityId: state.identity.id, sessionId: session.id, reason, revokedAt: now },
  }));
}
