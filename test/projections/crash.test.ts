import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { PostgresEventStore } from "../../src/eventstore/postgres/postgres-event-store.ts";
import { ProjectionRunner } from "../../src/projections/runner.ts";
import { newEvent } from "../eventstore/contract.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { eventLogProjection } from "../support/projections.ts";

const childScript = fileURLToPath(new URL("../support/projection-child.ts", import.meta.url));

let database: TestDatabase;
let store: PostgresEventStore;

beforeAll(async () => {
  database = await createTestDatabase("crash");
  store = new PostgresEventStore({ pool: database.pool });
});

afterAll(async () => {
  await database.drop();
});

function startChild(): ChildProcess {
  // Node itself, not the tsx command, which would run the script in a grandchild that SIGKILL
  // never reaches.
  return spawn(process.execPath, ["--import", "tsx", childScript], {
    env: { ...process.env, DATABASE_URL: database.url },
    stdio: ["ignore", "pipe", "inherit"],
  });
}

/** Waits until the child has an open transaction that has written read-model rows. */
async function waitForOpenBatch(): Promise<void> {
  for (let attempt = 0; attempt < 400; attempt += 1) {
    const { rows } = await database.pool.query(
      `SELECT 1 FROM pg_stat_activity
       WHERE application_name = 'projection-child' AND backend_xid IS NOT NULL`,
    );
    const { rows: applied } = await database.pool.query(
      "SELECT events_applied FROM projection_checkpoints WHERE projection = 'event_log'",
    );
    if (rows.length > 0 && Number(applied[0]?.events_applied ?? 0) > 0) return;
    await sleep(10);
  }
  throw new Error("the projection child never opened a batch transaction");
}

it("recovers from SIGKILL mid-batch without applying an event twice", async () => {
  for (let stream = 0; stream < 40; stream += 1) {
    await store.append(
      `thing-${randomUUID()}`,
      "no_stream",
      Array.from({ length: 15 }, (_, n) =>
        newEvent(n === 0 ? "ThingCreated" : "ThingChanged", { n }),
      ),
    );
  }

  const child = startChild();
  await waitForOpenBatch();
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;

  const { rows: checkpoint } = await database.pool.query(
    "SELECT events_applied FROM projection_checkpoints WHERE projection = 'event_log'",
  );
  const appliedBeforeKill = Number(checkpoint[0].events_applied);
  expect(appliedBeforeKill).toBeGreaterThan(0);
  expect(appliedBeforeKill).toBeLessThan(600);
  const { rows: logged } = await database.pool.query("SELECT count(*)::int AS n FROM event_log");
  expect(logged[0].n).toBe(appliedBeforeKill);

  const runner = new ProjectionRunner({
    pool: database.pool,
    store,
    projections: [eventLogProjection()],
    logger: pino({ level: "silent" }),
  });
  await runner.runUntilCaughtUp();
  const afterRestart = await database.pool.query("SELECT * FROM event_log ORDER BY event_id");
  const summaryAfterRestart = await database.pool.query(
    "SELECT * FROM stream_summary ORDER BY stream_id",
  );
  expect(afterRestart.rows).toHaveLength(600);
  expect(afterRestart.rows.every((row) => row.applied_count === 1)).toBe(true);

  await runner.rebuild("event_log");
  await runner.runUntilCaughtUp();
  const replayed = await database.pool.query("SELECT * FROM event_log ORDER BY event_id");
  const summaryReplayed = await database.pool.query(
    "SELECT * FROM stream_summary ORDER BY stream_id",
  );
  expect(replayed.rows).toEqual(afterRestart.rows);
  expect(summaryReplayed.rows).toEqual(summaryAfterRestart.rows);
});
