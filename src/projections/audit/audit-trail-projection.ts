import type { RecordedEvent } from "../../eventstore/port.ts";
import type { ProjectionDefinition } from "../projection.ts";

const identityStreamPrefix = "identity-";

/**
 * One row per event for compliance queries by identity, actor, event type and time. Rows keep
 * ids and request origin only, never traits; IP and user agent are blanked when the identity is
 * erased. `ordinal` follows the `$all` order and serves as the paging cursor.
 */
export function auditTrailProjection(): ProjectionDefinition {
  return {
    name: "audit_trail",
    version: 1,
    kind: "read_model",
    tables: ["audit_trail"],
    batchSize: 1000,
    // Compliance queries can lag a little, and under load the wait puts the events of several
    // requests in one transaction instead of one or two.
    batchDelayMs: 100,
    async createTables(tx, table) {
      const name = table("audit_trail");
      await tx.query(`CREATE TABLE ${name} (
        ordinal bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        event_id uuid NOT NULL UNIQUE,
        position text NOT NULL,
        stream_id text NOT NULL,
        stream_version bigint NOT NULL,
        event_type text NOT NULL,
        identity_id uuid,
        actor_type text NOT NULL,
        actor_id text,
        session_id text,
        correlation_id text NOT NULL,
        causation_id text,
        request_id text,
        ip_address text,
        user_agent text,
        occurred_at timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL)`);
      await tx.query(`CREATE INDEX ON ${name} (identity_id, ordinal)`);
      await tx.query(`CREATE INDEX ON ${name} (actor_id, ordinal)`);
      await tx.query(`CREATE INDEX ON ${name} (event_type, ordinal)`);
      await tx.query(`CREATE INDEX ON ${name} (recorded_at)`);
    },
    async apply(events, { tx, table }) {
      const name = table("audit_trail");
      await tx.query(
        `INSERT INTO ${name} (event_id, position, stream_id, stream_version, event_type,
           identity_id, actor_type, actor_id, session_id, correlation_id, causation_id,
           request_id, ip_address, user_agent, occurred_at, recorded_at)
         SELECT r.event_id, r.position, r.stream_id, r.stream_version, r.event_type,
           r.identity_id, r.actor_type, r.actor_id, r.session_id, r.correlation_id,
           r.causation_id, r.request_id, r.ip_address, r.user_agent, r.occurred_at, r.recorded_at
         FROM jsonb_to_recordset($1::jsonb) AS r(event_id uuid, position text, stream_id text,
           stream_version bigint, event_type text, identity_id uuid, actor_type text,
           actor_id text, session_id text, correlation_id text, causation_id text,
           request_id text, ip_address text, user_agent text, occurred_at timestamptz,
           recorded_at timestamptz)
         ON CONFLICT (event_id) DO NOTHING`,
        [JSON.stringify(events.map(toRow))],
      );

      const erased = events.filter(
        (e) => e.type === "IdentityErased" || e.type === "IdentityDeleted",
      );
      for (const event of erased) {
        await tx.query(
          `UPDATE ${name} SET ip_address = NULL, user_agent = NULL WHERE identity_id = $1`,
          [identityIdOf(event)],
        );
      }
    },
  };
}

function toRow(event: RecordedEvent) {
  const { actor, source } = event.metadata;
  return {
    event_id: event.eventId,
    position: event.position,
    stream_id: event.streamId,
    stream_version: event.streamVersion,
    event_type: event.type,
    identity_id: identityIdOf(event),
    actor_type: actor.type,
    actor_id: actor.id ?? null,
    session_id: actor.sessionId ?? null,
    correlation_id: event.metadata.correlationId,
    causation_id: event.metadata.causationId,
    request_id: source?.requestId ?? null,
    ip_address: plainOrNull(source?.ip),
    user_agent: plainOrNull(source?.userAgent),
    occurred_at: event.metadata.occurredAt,
    recorded_at: event.recordedAt.toISOString(),
  };
}

function identityIdOf(event: RecordedEvent): string | null {
  return event.streamId.startsWith(identityStreamPrefix)
    ? event.streamId.slice(identityStreamPrefix.length)
    : null;
}

/** Keeps decrypted values; a value still encrypted or erased is not worth storing. */
function plainOrNull(value: string | undefined): string | null {
  if (value === undefined || value.startsWith("pd1.") || value === "[erased]") return null;
  return value;
}
