// Runs the test event-log projection in its own process until it is killed. Used by the crash
// test, which sends SIGKILL while a batch transaction is open.
import pg from "pg";
import pino from "pino";
import { PostgresEventStore } from "../../src/eventstore/postgres/postgres-event-store.ts";
import { ProjectionRunner } from "../../src/projections/runner.ts";
import { eventLogProjection } from "./projections.ts";

const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  application_name: "projection-child",
});
const store = new PostgresEventStore({ pool });
const runner = new ProjectionRunner({
  pool,
  store,
  projections: [eventLogProjection({ delayMsPerEvent: 2, batchSize: 50 })],
  logger: pino({ level: "silent" }),
  pollIntervalMs: 50,
});
await runner.start();
process.stdout.write("started\n");
