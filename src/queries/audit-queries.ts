import type pg from "pg";

/** Filters of an audit query; absent fields do not filter. */
export interface AuditFilter {
  identityId?: string;
  actorId?: string;
  eventType?: string;
  /** Recorded at or after this time. */
  from?: Date;
  /** Recorded before this time. */
  to?: Date;
}

/** One row of the `audit_trail` read model, in snake_case as the API renders it. */
export interface AuditEntry {
  /** Position in the `$all` order, as a decimal string because it is a bigint. */
  ordinal: string;
  event_id: string;
  event_type: string;
  stream_id: string;
  stream_version: number;
  identity_id: string | null;
  actor_type: string;
  actor_id: string | null;
  session_id: string | null;
  correlation_id: string;
  causation_id: string | null;
  request_id: string | null;
  ip_address: string | null;
  user_agent: string | null;
  occurred_at: string;
  recorded_at: string;
}

type AuditRow = Omit<AuditEntry, "occurred_at" | "recorded_at"> & {
  occurred_at: Date;
  recorded_at: Date;
};

/** Column order of audit exports. */
export const auditColumns: readonly (keyof AuditEntry)[] = [
  "ordinal",
  "event_id",
  "event_type",
  "stream_id",
  "stream_version",
  "identity_id",
  "actor_type",
  "actor_id",
  "session_id",
  "correlation_id",
  "causation_id",
  "request_id",
  "ip_address",
  "user_agent",
  "occurred_at",
  "recorded_at",
];

/** Compliance queries over the `audit_trail` read model. */
export class AuditQueries {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /**
   * Lists up to `limit` entries in `$all` order after the ordinal `after`. `next` is the cursor
   * of the following page, absent on the last page.
   */
  async listEntries(
    filter: AuditFilter,
    page: { after?: string; limit: number },
  ): Promise<{ entries: AuditEntry[]; next?: string }> {
    const conditions: string[] = [];
    const values: unknown[] = [];
    const where = (column: string, operator: string, value: unknown) => {
      if (value === undefined) return;
      values.push(value);
      conditions.push(`${column} ${operator} $${values.length}`);
    };
    where("identity_id", "=", filter.identityId);
    where("actor_id", "=", filter.actorId);
    where("event_type", "=", filter.eventType);
    where("recorded_at", ">=", filter.from);
    where("recorded_at", "<", filter.to);
    where("ordinal", ">", page.after);
    values.push(page.limit + 1);

    // The output column `ordinal` is text, so the ORDER BY names the table's numeric column.
    const { rows } = await this.#pool.query<AuditRow>(
      `SELECT ordinal::text AS ordinal, event_id, event_type, stream_id,
         stream_version::integer AS stream_version, identity_id, actor_type, actor_id,
         session_id, correlation_id, causation_id, request_id, ip_address, user_agent,
         occurred_at, recorded_at
       FROM audit_trail
       ${conditions.length > 0 ? `WHERE ${conditions.join(" AND ")}` : ""}
       ORDER BY audit_trail.ordinal LIMIT $${values.length}`,
      values,
    );
    const entries = rows.slice(0, page.limit).map((row) => ({
      ...row,
      occurred_at: row.occurred_at.toISOString(),
      recorded_at: row.recorded_at.toISOString(),
    }));
    const last = entries.at(-1);
    return { entries, ...(rows.length > page.limit && last && { next: last.ordinal }) };
  }
}
