import type pg from "pg";

/** A session of the sessions read model, reduced to what a bulk revocation needs. */
export interface SessionOwnership {
  id: string;
  identityId: string;
  /** Neither revoked nor expired at the time of the query. */
  active: boolean;
}

interface OwnershipRow {
  id: string;
  identity_id: string;
  active: boolean;
}

/** Finds the listed sessions. Ids that the read model does not contain are left out. */
export async function findSessionOwnerships(
  pool: pg.Pool,
  sessionIds: readonly string[],
  now: Date,
): Promise<SessionOwnership[]> {
  const { rows } = await pool.query<OwnershipRow>(
    `SELECT id, identity_id, (revoked_at IS NULL AND expires_at > $2) AS active
     FROM sessions WHERE id = ANY ($1::uuid[])`,
    [sessionIds, now],
  );
  return rows.map(toOwnership);
}

/** Counts the revoked or expired sessions of the listed identities. */
export async function countEndedSessions(
  pool: pg.Pool,
  identityIds: readonly string[],
  now: Date,
): Promise<number> {
  const { rows } = await pool.query<{ count: string }>(
    `SELECT count(*) AS count FROM sessions
     WHERE identity_id = ANY ($1::uuid[]) AND NOT (revoked_at IS NULL AND expires_at > $2)`,
    [identityIds, now],
  );
  return Number(rows[0]?.count ?? 0);
}

/** Lists up to `limit` active sessions of any identity, oldest first. */
export async function listActiveSessions(
  pool: pg.Pool,
  now: Date,
  limit: number,
): Promise<SessionOwnership[]> {
  const { rows } = await pool.query<OwnershipRow>(
    `SELECT id, identity_id, true AS active FROM sessions
     WHERE revoked_at IS NULL AND expires_at > $1
     ORDER BY issued_at, id LIMIT $2`,
    [now, limit],
  );
  return rows.map(toOwnership);
}

function toOwnership(row: OwnershipRow): SessionOwnership {
  return { id: row.id, identityId: row.identity_id, active: row.active };
}
