import type { RecordedEvent } from "../../src/eventstore/port.ts";
import type { ProjectionDefinition } from "../../src/projections/projection.ts";

/**
 * A test read model with two tables: one row per event with a count of how often it was applied
 * (anything above 1 is a double application), and one summary row per stream guarded by version.
 */
export function eventLogProjection(
  overrides: Partial<ProjectionDefinition> & { delayMsPerEvent?: number } = {},
): ProjectionDefinition {
  const { delayMsPerEvent = 0, ...rest } = overrides;
  return {
    name: "event_log",
    version: 1,
    kind: "read_model",
    tables: ["event_log", "stream_summary"],
    async createTables(tx, table) {
      await tx.query(`CREATE TABLE ${table("event_log")} (
        event_id uuid PRIMARY KEY,
        stream_id text NOT NULL,
        stream_version bigint NOT NULL,
        event_type text NOT NULL,
        applied_count integer NOT NULL DEFAULT 1)`);
      await tx.query(`CREATE TABLE ${table("stream_summary")} (
        stream_id text PRIMARY KEY,
        event_count integer NOT NULL,
        last_version bigint NOT NULL,
        last_type text NOT NULL)`);
    },
    async apply(events: readonly RecordedEvent[], { tx, table }) {
      for (const event of events) {
        if (delayMsPerEvent > 0) await tx.query("SELECT pg_sleep($1)", [delayMsPerEvent / 1000]);
        await tx.query(
          `INSERT INTO ${table("event_log")} (event_id, stream_id, stream_version, event_type)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (event_id) DO UPDATE SET applied_count = ${table("event_log")}.applied_count + 1`,
          [event.eventId, event.streamId, event.streamVersion, event.type],
        );
        await tx.query(
          `INSERT INTO ${table("stream_summary")} AS s (stream_id, event_count, last_version, last_type)
           VALUES ($1, 1, $2, $3)
           ON CONFLICT (stream_id) DO UPDATE
             SET event_count = s.event_count + 1, last_version = EXCLUDED.last_version,
                 last_type = EXCLUDED.last_type
             WHERE s.last_version < EXCLUDED.last_version`,
          [event.streamId, event.streamVersion, event.type],
        );
      }
    },
    ...rest,
  };
}
