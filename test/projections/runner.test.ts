import { randomUUID } from "node:crypto";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatPosition } from "../../src/eventstore/postgres/position.ts";
import { PostgresEventStore } from "../../src/eventstore/postgres/postgres-event-store.ts";
import type { ProjectionDefinition } from "../../src/projections/projection.ts";
import { ProjectionRunner } from "../../src/projections/runner.ts";
import { newEvent } from "../eventstore/contract.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";
import { eventLogProjection } from "../support/projections.ts";

const logger = pino({ level: "silent" });

let database: TestDatabase;
let store: PostgresEventStore;

beforeAll(async () => {
  database = await createTestDatabase("projections");
  store = new PostgresEventStore({ pool: database.pool });
});

afterAll(async () => {
  await database.drop();
});

function workloadEventType(round: number, index: number): string {
  if (round === 0) return "ThingCreated";
  return index % 3 === 0 ? "ThingRenamed" : "ThingChanged";
}

async function appendMixedWorkload(streams: number, eventsPerStream: number): Promise<void> {
  const ids = Array.from({ length: streams }, () => `thing-${randomUUID()}`);
  for (let round = 0; round < eventsPerStream; round += 1) {
    await Promise.all(
      ids.map((stream, index) =>
        store.append(stream, "any", [newEvent(workloadEventType(round, index), { round })]),
      ),
    );
  }
}

async function tableRows(sql: string): Promise<unknown[]> {
  const { rows } = await database.pool.query(sql);
  return rows;
}

describe("projection runner", () => {
  it("applies events and moves the checkpoint", async () => {
    const projection = eventLogProjection({
      name: "log_basic",
      tables: ["log_basic", "sum_basic"],
    });
    const definition = renameTables(projection, "basic");
    const runner = new ProjectionRunner({
      pool: database.pool,
      store,
      projections: [definition],
      logger,
    });
    await appendMixedWorkload(3, 4);
    await runner.prepare();

    await eventually(async () => {
      await runner.runUntilCaughtUp();
      const [status] = await runner.status();
      expect(status!.generations).toHaveLength(1);
      expect(status!.generations[0]!.lagEvents).toBe(0);
      expect(status!.generations[0]!.position).toBe(await store.headPosition());
    });

    const counts = await tableRows("SELECT max(applied_count) AS max FROM log_basic");
    expect(counts).toEqual([{ max: 1 }]);
  });

  it("rebuilds from zero into rows equal to the live ones", async () => {
    const definition = renameTables(eventLogProjection({ name: "log_rebuild" }), "rebuild");
    const runner = new ProjectionRunner({
      pool: database.pool,
      store,
      projections: [definition],
      logger,
    });
    await runner.prepare();
    await appendMixedWorkload(10, 6);
    await catchUpToHead(runner, "log_rebuild");
    const liveLog = await tableRows("SELECT * FROM log_rebuild ORDER BY event_id");
    const liveSummary = await tableRows("SELECT * FROM sum_rebuild ORDER BY stream_id");

    const generation = await runner.rebuild("log_rebuild");
    expect(generation).toBe(2);
    // The old generation keeps serving until the new one has caught up.
    expect(await tableRows("SELECT * FROM log_rebuild ORDER BY event_id")).toEqual(liveLog);
    await catchUpToHead(runner, "log_rebuild");

    const [status] = await runner.status();
    expect(status!.generations.map((g) => [g.generation, g.state])).toEqual([[2, "live"]]);
    expect(await tableRows("SELECT * FROM log_rebuild ORDER BY event_id")).toEqual(liveLog);
    expect(await tableRows("SELECT * FROM sum_rebuild ORDER BY stream_id")).toEqual(liveSummary);
    const old = await tableRows("SELECT to_regclass('log_rebuild_g1') AS name");
    expect(old).toEqual([{ name: null }]);
  });

  it("applies small pages exactly once", async () => {
    // Pages of 7 are full on most reads, so the next page is read while one is applied.
    const definition = renameTables(
      eventLogProjection({ name: "log_pages", batchSize: 7 }),
      "pages",
    );
    const runner = new ProjectionRunner({
      pool: database.pool,
      store,
      projections: [definition],
      logger,
    });
    await runner.prepare();
    await appendMixedWorkload(9, 6);
    await catchUpToHead(runner, "log_pages");

    const { rows: events } = await database.pool.query<{ count: number }>(
      "SELECT count(*)::int AS count FROM events",
    );
    const { rows: applied } = await database.pool.query<{ count: number; max: number }>(
      "SELECT count(*)::int AS count, max(applied_count) AS max FROM log_pages",
    );
    expect(applied[0]!.count).toBe(events[0]!.count);
    expect(applied[0]!.max).toBe(1);
  });

  it("rebuilds when the code version changes", async () => {
    const first = renameTables(eventLogProjection({ name: "log_versioned" }), "versioned");
    await new ProjectionRunner({
      pool: database.pool,
      store,
      projections: [first],
      logger,
    }).prepare();
    const second = { ...first, version: 2 };
    const runner = new ProjectionRunner({
      pool: database.pool,
      store,
      projections: [second],
      logger,
    });
    await runner.prepare();
    await runner.runUntilCaughtUp();

    const [status] = await runner.status();
    expect(status!.generations.map((g) => [g.codeVersion, g.state])).toEqual([[2, "live"]]);
  });

  it("dead-letters an event that keeps failing", async () => {
    const poisonStream = `thing-${randomUUID()}`;
    const base = renameTables(eventLogProjection({ name: "log_poison" }), "poison");
    const definition: ProjectionDefinition = {
      ...base,
      maxAttempts: 2,
      async apply(events, context) {
        for (const event of events) {
          if ((event.data as { poison?: boolean }).poison) throw new Error("cannot apply poison");
        }
        await base.apply(events, context);
      },
    };
    const runner = new ProjectionRunner({
      pool: database.pool,
      store,
      projections: [definition],
      logger,
    });
    await runner.prepare();
    await runner.runUntilCaughtUp();

    await store.append(poisonStream, "no_stream", [
      newEvent("ThingCreated"),
      newEvent("ThingChanged", { poison: true }),
      newEvent("ThingChanged"),
    ]);
    await eventually(() =>
      expect(runner.runUntilCaughtUp()).rejects.toThrow("cannot apply poison"),
    );
    await catchUpToHead(runner, "log_poison");

    const applied = await tableRows(
      `SELECT stream_version FROM log_poison WHERE stream_id = '${poisonStream}' ORDER BY 1`,
    );
    expect(applied).toEqual([{ stream_version: "1" }, { stream_version: "3" }]);
    const dead = await tableRows(
      "SELECT stream_version, attempts, error FROM projection_dead_letters WHERE projection = 'log_poison'",
    );
    expect(dead).toEqual([{ stream_version: "2", attempts: 2, error: "cannot apply poison" }]);
    const [status] = await runner.status();
    expect(status!.deadLetters).toBe(1);
  });

  it("starts a reactor at the head and refuses to rebuild it", async () => {
    const before = `thing-${randomUUID()}`;
    const written = await store.append(before, "no_stream", [newEvent("ThingCreated")]);
    // The reactor starts at the visible head, so wait until the first event is visible.
    await eventually(async () => {
      expect(store.comparePositions(await store.headPosition(), written.position)).toBe(0);
    });
    const seen: string[] = [];
    const reactor: ProjectionDefinition = {
      name: "test_reactor",
      version: 1,
      kind: "reactor",
      tables: [],
      async createTables() {},
      async apply(events) {
        seen.push(...events.map((event) => event.streamId));
      },
    };
    const runner = new ProjectionRunner({
      pool: database.pool,
      store,
      projections: [reactor],
      logger,
    });
    await runner.prepare();
    const after = `thing-${randomUUID()}`;
    await store.append(after, "no_stream", [newEvent("ThingCreated")]);
    await catchUpToHead(runner, "test_reactor");

    expect(seen).toEqual([after]);
    await expect(runner.rebuild("test_reactor")).rejects.toThrow(/reactor/);
  });

  it("gives each event to one of two concurrent runners", async () => {
    const definition = renameTables(
      eventLogProjection({ name: "log_shared", batchSize: 7 }),
      "shared",
    );
    const runners = [1, 2].map(
      () =>
        new ProjectionRunner({
          pool: database.pool,
          store,
          projections: [definition],
          logger,
          pollIntervalMs: 20,
        }),
    );
    await Promise.all(runners.map((runner) => runner.start()));
    await appendMixedWorkload(8, 5);
    expect(await runners[0]!.waitFor("log_shared", await lastCommittedPosition(), 10_000)).toBe(
      true,
    );
    await Promise.all(runners.map((runner) => runner.stop()));

    const counts = await tableRows(
      "SELECT count(*)::int AS events, max(applied_count) AS max FROM log_shared",
    );
    const { rows } = await database.pool.query("SELECT count(*)::int AS total FROM events");
    expect(counts).toEqual([{ events: rows[0].total, max: 1 }]);
  });

  it("follows live appends after start", async () => {
    const definition = renameTables(eventLogProjection({ name: "log_live" }), "live");
    const runner = new ProjectionRunner({
      pool: database.pool,
      store,
      projections: [definition],
      logger,
      pollIntervalMs: 5_000,
    });
    await runner.start();
    try {
      const result = await store.append(`thing-${randomUUID()}`, "no_stream", [
        newEvent("ThingCreated"),
      ]);
      // The poll interval is 5 s, so reaching the position within 2 s needs the wake-up signal.
      expect(await runner.waitFor("log_live", result.position, 2_000)).toBe(true);
    } finally {
      await runner.stop();
    }
  });
});

describe("batch delay", () => {
  it("applies a burst in one batch", async () => {
    const projection = renameTables(eventLogProjection({ name: "log_delay" }), "delay");
    const batchSizes: number[] = [];
    const definition: ProjectionDefinition = {
      ...projection,
      batchDelayMs: 1_000,
      apply: async (events, context) => {
        batchSizes.push(events.length);
        await projection.apply(events, context);
      },
    };
    const runner = new ProjectionRunner({
      pool: database.pool,
      store,
      projections: [definition],
      logger,
      pollIntervalMs: 5_000,
    });
    await runner.start();
    try {
      // Events of earlier tests are applied first and do not count.
      expect(await runner.waitFor("log_delay", await store.headPosition(), 10_000)).toBe(true);
      batchSizes.length = 0;

      const stream = `thing-${randomUUID()}`;
      let last = await store.append(stream, "no_stream", [newEvent("ThingCreated")]);
      for (let version = 1; version < 5; version += 1) {
        last = await store.append(stream, version, [newEvent("ThingChanged")]);
      }

      expect(await runner.waitFor("log_delay", last.position, 3_000)).toBe(true);
      // One batch, unless an open transaction elsewhere in the cluster hid the last append.
      expect(batchSizes[0]).toBeGreaterThanOrEqual(4);
      expect(batchSizes.reduce((sum, size) => sum + size, 0)).toBe(5);
    } finally {
      await runner.stop();
    }
  });
});

/** Position of the last committed event, whether or not readers can see it yet. */
async function lastCommittedPosition(): Promise<string> {
  const { rows } = await database.pool.query(
    "SELECT tx_id::text AS tx_id, seq FROM events ORDER BY tx_id DESC, seq DESC LIMIT 1",
  );
  return formatPosition(rows[0].tx_id, rows[0].seq);
}

/** Runs a projection until its live checkpoint reaches the last committed event. */
async function catchUpToHead(runner: ProjectionRunner, name: string): Promise<void> {
  const last = await lastCommittedPosition();
  await eventually(async () => {
    await runner.runUntilCaughtUp(name);
    const [status] = await runner.status();
    const live = status!.generations.find((generation) => generation.state === "live");
    expect(store.comparePositions(live!.position, last)).toBeGreaterThanOrEqual(0);
    expect(status!.generations).toHaveLength(1);
  }, 15_000);
}

/** Gives a test projection its own table names so that tests in this file do not share rows. */
function renameTables(definition: ProjectionDefinition, suffix: string): ProjectionDefinition {
  const names: Record<string, string> = {
    event_log: `log_${suffix}`,
    stream_summary: `sum_${suffix}`,
  };
  return {
    ...definition,
    tables: [`log_${suffix}`, `sum_${suffix}`],
    createTables: (tx, table) => definition.createTables(tx, (name) => table(names[name] ?? name)),
    apply: (events, context) =>
      definition.apply(events, { ...context, table: (name) => context.table(names[name] ?? name) }),
  };
}

describe("data exceptions", () => {
  it("dead-letters an event PostgreSQL cannot store without retrying", async () => {
    const stream = `thing-${randomUUID()}`;
    const definition: ProjectionDefinition = {
      name: "bad_text",
      version: 1,
      kind: "read_model",
      maxAttempts: 50,
      tables: ["bad_text"],
      async createTables(tx, table) {
        await tx.query(`CREATE TABLE ${table("bad_text")} (event_id uuid PRIMARY KEY, body jsonb)`);
      },
      async apply(events, { tx, table }) {
        for (const event of events) {
          if (event.streamId !== stream) continue;
          // A lone surrogate is valid in a JavaScript string but not in jsonb text.
          const body = (event.data as { bad?: boolean }).bad ? '{"a":"\\ud800"}' : "{}";
          await tx.query(`INSERT INTO ${table("bad_text")} VALUES ($1, $2::jsonb)`, [
            event.eventId,
            body,
          ]);
        }
      },
    };
    const runner = new ProjectionRunner({
      pool: database.pool,
      store,
      projections: [definition],
      logger,
    });
    await runner.prepare();
    await store.append(stream, "no_stream", [
      newEvent("ThingCreated", { bad: true }),
      newEvent("ThingChanged"),
    ]);
    await catchUpToHead(runner, "bad_text");

    const { rows } = await database.pool.query(
      "SELECT attempts FROM projection_dead_letters WHERE projection = 'bad_text'",
    );
    expect(rows).toEqual([{ attempts: 50 }]);
    const applied = await tableRows("SELECT count(*)::int AS n FROM bad_text");
    expect(applied).toEqual([{ n: 1 }]);
  });
});
