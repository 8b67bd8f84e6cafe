import type pg from "pg";
import { z } from "zod";
import type { CommandContext } from "../commands/identity-command-handler.ts";
import type { EventMetadata } from "../eventstore/envelope.ts";

/** Reason a password login failed, as the security log records it. */
export type LoginFailureReason =
  | "unknown_identifier"
  | "no_password"
  | "wrong_password"
  | "inactive";

/** Login throttle that rejected an attempt: the identifier's or the client IP's. */
export type ThrottleScope = "identifier" | "ip";

/**
 * A security event. These stay out of identity streams, so an attempt on an unknown identifier
 * never creates a stream. `identifierKey` is the HMAC of the normalised identifier, never the
 * identifier, and no event carries a password.
 */
export type SecurityEvent =
  | {
      type: "LoginFailed";
      identityId: string | null;
      identifierKey: string;
      data: { reason: LoginFailureReason; flowId: string };
    }
  | {
      type: "LoginThrottled";
      identityId: null;
      identifierKey: string;
      data: { scope: ThrottleScope; retryAfterSeconds: number; flowId: string };
    };

export type SecurityEventType = SecurityEvent["type"];

/** Every security event type, for validating filters. */
export const securityEventTypes = [
  "LoginFailed",
  "LoginThrottled",
] as const satisfies readonly SecurityEventType[];

/** A stored security event with the envelope of the request that caused it. */
export interface SecurityEventRecord {
  /** Position in the log, increasing with every row; the `after` cursor of the next page. */
  id: string;
  type: SecurityEventType;
  identityId: string | null;
  identifierKey: string | null;
  data: Record<string, unknown>;
  metadata: EventMetadata;
  occurredAt: Date;
}

/** Anything that runs a query: a pool, a client or a transaction. */
type Queryable = Pick<pg.Pool, "query">;

/**
 * Appends a security event with the request's metadata envelope (request id, IP, user agent).
 * The table's trigger rejects any later change or deletion of the row.
 */
export async function recordSecurityEvent(
  db: Queryable,
  event: SecurityEvent,
  context: CommandContext,
): Promise<void> {
  const occurredAt = new Date();
  const metadata: EventMetadata = {
    correlationId: context.correlationId ?? event.data.flowId,
    causationId: context.causationId ?? null,
    actor: context.actor,
    occurredAt: occurredAt.toISOString(),
    ...(context.source ? { source: { ...context.source } } : {}),
  };
  await db.query(
    `INSERT INTO security_log (event_type, identity_id, identifier_key, metadata, occurred_at)
     VALUES ($1, $2, $3, $4, $5)`,
    [
      event.type,
      event.identityId,
      event.identifierKey,
      JSON.stringify({ ...metadata, data: event.data }),
      occurredAt,
    ],
  );
}

const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);

/** Filters and page of `listSecurityEvents`; the admin API parses its query with this schema. */
export const securityEventQuerySchema = z.strictObject({
  identityId: uuid.optional(),
  type: z.enum(securityEventTypes).optional(),
  /** Inclusive lower bound of `occurredAt`. */
  from: z.coerce.date().optional(),
  /** Exclusive upper bound of `occurredAt`. */
  to: z.coerce.date().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  /** The `id` of the last event of the previous page. */
  after: z
    .string()
    .regex(/^[0-9]{1,18}$/)
    .optional(),
});

export type SecurityEventQuery = z.input<typeof securityEventQuerySchema>;

export interface SecurityEventPage {
  events: SecurityEventRecord[];
  /** Cursor of the next page; absent on the last page. */
  nextAfter?: string;
}

interface SecurityLogRow {
  id: string;
  event_type: SecurityEventType;
  identity_id: string | null;
  identifier_key: string | null;
  metadata: EventMetadata & { data?: Record<string, unknown> };
  occurred_at: Date;
}

/**
 * Lists security events oldest first, filtered by identity, type and time, one page after the
 * `after` cursor. Raises a `ZodError` for a query that `securityEventQuerySchema` rejects.
 */
export async function listSecurityEvents(
  db: Queryable,
  query: SecurityEventQuery,
): Promise<SecurityEventPage> {
  const parsed = securityEventQuerySchema.parse(query);
  // The output column `id` is text, so the ORDER BY names the table's numeric column.
  const { rows } = await db.query<SecurityLogRow>(
    `SELECT id::text AS id, event_type, identity_id, identifier_key, metadata, occurred_at
     FROM security_log
     WHERE ($1::uuid IS NULL OR identity_id = $1)
       AND ($2::text IS NULL OR event_type = $2)
       AND ($3::timestamptz IS NULL OR occurred_at >= $3)
       AND ($4::timestamptz IS NULL OR occurred_at < $4)
       AND ($5::bigint IS NULL OR id > $5)
     ORDER BY security_log.id LIMIT $6`,
    [
      parsed.identityId ?? null,
      parsed.type ?? null,
      parsed.from ?? null,
      parsed.to ?? null,
      parsed.after ?? null,
      parsed.limit + 1,
    ],
  );

  const page = rows.slice(0, parsed.limit).map(toRecord);
  const last = page.at(-1);
  return rows.length > parsed.limit && last
    ? { events: page, nextAfter: last.id }
    : { events: page };
}

function toRecord(row: SecurityLogRow): SecurityEventRecord {
  const { data, ...metadata } = row.metadata;
  return {
    id: row.id,
    type: row.event_type,
    identityId: row.identity_id,
    identifierKey: row.identifier_key,
    data: data ?? {},
    metadata,
    occurredAt: row.occurred_at,
  };
}

/**
 * Deletes security log rows older than `retentionDays` (at least 1), because they hold IP
 * addresses and user agents, which are personal data. Returns the number of rows deleted.
 */
export async function purgeSecurityLog(pool: pg.Pool, retentionDays: number): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SET LOCAL registrar.purge_security_log = 'on'");
    const { rowCount } = await client.query(
      "DELETE FROM security_log WHERE occurred_at < now() - make_interval(days => $1)",
      [Math.max(1, Math.floor(retentionDays))],
    );
    await client.query("COMMIT");
    return rowCount ?? 0;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
