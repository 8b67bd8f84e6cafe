import { randomUUID } from "node:crypto";
import pino from "pino";
import { START } from "../src/eventstore/port.ts";
import { PostgresEventStore } from "../src/eventstore/postgres/postgres-event-store.ts";
import { auditTrailProjection } from "../src/projections/audit/audit-trail-projection.ts";
import { ProjectionRunner } from "../src/projections/runner.ts";
import { createBenchDatabase, interleaved, report } from "./harness.ts";

const durationMs = Number(process.env.BENCH_DURATION_MS ?? 3_000);

function payload() {
  return {
    eventId: randomUUID(),
    type: "IdentityRegistered",
    data: {
      identityId: randomUUID(),
      schemaId: "default",
      traits: "pd1.x.traits.AAAA.BBBBBBBBBBBBBBBB",
    },
    metadata: {
      correlationId: randomUUID(),
      causationId: null,
      actor: { type: "anonymous" as const },
      source: { requestId: randomUUID(), ip: "127.0.0.1", userAgent: "bench" },
      occurredAt: new Date().toISOString(),
    },
  };
}

/** Appends, `$all` reads and a projection rebuild, each beside a bare-table baseline. */
export async function benchEventStore(): Promise<void> {
  const database = await createBenchDatabase(40);
  const pool = database.pool;
  const store = new PostgresEventStore({ pool });
  try {
    await pool.query(`CREATE TABLE bare_events (
      seq bigserial PRIMARY KEY, event_id uuid NOT NULL, stream_id text NOT NULL,
      event_type text NOT NULL, data jsonb NOT NULL, metadata jsonb NOT NULL,
      recorded_at timestamptz NOT NULL DEFAULT now())`);

    for (const writers of [1, 8, 32]) {
      const rates = await interleaved(
        writers,
        2 * durationMs,
        async () => {
          const event = payload();
          await pool.query(
            "INSERT INTO bare_events (event_id, stream_id, event_type, data, metadata) VALUES ($1, $2, $3, $4, $5)",
            [event.eventId, `identity-${randomUUID()}`, event.type, event.data, event.metadata],
          );
        },
        async () => {
          await store.append(`identity-${randomUUID()}`, "no_stream", [payload()]);
        },
      );
      report({
        name: `append, ${writers} writer${writers > 1 ? "s" : ""}`,
        value: rates.subject,
        unit: "events/s",
        baselineName: "plain INSERT",
        baseline: rates.baseline,
      });
    }

    const { rows } = await pool.query("SELECT count(*)::int AS n FROM events");
    const total: number = rows[0].n;

    let started = performance.now();
    let read = 0;
    for (let after = START; ; ) {
      const page = await store.readAll({ after, limit: 1000 });
      if (page.events.length === 0) break;
      read += page.events.length;
      after = page.position;
    }
    const allRate = read / ((performance.now() - started) / 1000);

    started = performance.now();
    let bareRead = 0;
    for (let lastSeq = "0"; ; ) {
      const page = await pool.query(
        "SELECT * FROM bare_events WHERE seq > $1 ORDER BY seq LIMIT 1000",
        [lastSeq],
      );
      if (page.rows.length === 0) break;
      bareRead += page.rows.length;
      lastSeq = page.rows.at(-1).seq;
    }
    const bareRate = bareRead / ((performance.now() - started) / 1000);
    report({
      name: `$all read (${total} events)`,
      value: allRate,
      unit: "events/s",
      baselineName: "ordered SELECT, bare table",
      baseline: bareRate,
    });

    const runner = new ProjectionRunner({
      pool,
      store,
      projections: [auditTrailProjection()],
      logger: pino({ level: "silent" }),
    });
    await runner.prepare();
    started = performance.now();
    await runner.runUntilCaughtUp();
    const rebuildRate = total / ((performance.now() - started) / 1000);

    started = performance.now();
    await pool.query("CREATE TABLE bare_copy AS SELECT * FROM bare_events WHERE false");
    for (let lastSeq = "0"; ; ) {
      const { rows: page } = await pool.query(
        "SELECT * FROM bare_events WHERE seq > $1 ORDER BY seq LIMIT 500",
        [lastSeq],
      );
      if (page.length === 0) break;
      await pool.query(
        `INSERT INTO bare_copy SELECT * FROM jsonb_populate_recordset(NULL::bare_copy, $1)`,
        [JSON.stringify(page)],
      );
      lastSeq = page.at(-1).seq;
    }
    const copyRate = bareRead / ((performance.now() - started) / 1000);
    report({
      name: "projection rebuild (audit trail)",
      value: rebuildRate,
      unit: "events/s",
      baselineName: "copy bare table in pages",
      baseline: copyRate,
    });
  } finally {
    await database.drop();
  }
}
