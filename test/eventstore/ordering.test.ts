import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import { eventContentHash } from "../../src/eventstore/canonical-json.ts";
import { START } from "../../src/eventstore/port.ts";
import { formatPosition } from "../../src/eventstore/postgres/position.ts";
import { PostgresEventStore } from "../../src/eventstore/postgres/postgres-event-store.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { metadata } from "./contract.ts";

const writers = 8;
const appendsPerWriter = 15;

let database: TestDatabase;
let store: PostgresEventStore;

beforeAll(async () => {
  database = await createTestDatabase("ordering");
  store = new PostgresEventStore({ pool: database.pool });
});

afterAll(async () => {
  await database.drop();
});

/**
 * Appends inside an explicit transaction that stays open for `holdMs` after the insert, so that
 * transactions commit in a different order than they took their sequence numbers.
 */
async function appendSlowly(holdMs: number): Promise<string> {
  const client = await database.pool.connect();
  const streamId = `order-${randomUUID()}`;
  const event = {
    eventId: randomUUID(),
    type: "ThingHappened",
    schemaVersion: 1,
    data: {},
    metadata: metadata(),
  };
  const stored = {
    event_id: event.eventId,
    type: event.type,
    schema_version: 1,
    data: event.data,
    metadata: event.metadata,
    content_hash: eventContentHash({ ...event, streamId }),
  };
  try {
    await client.query("BEGIN");
    await client.query("SELECT * FROM append_events($1, 'any', $2, '[]', '[]', '{}')", [
      streamId,
      JSON.stringify([stored]),
    ]);
    await sleep(holdMs);
    await client.query("COMMIT");
    return event.eventId;
  } finally {
    client.release();
  }
}

/**
 * Reads $all through the store, checkpointing after every page, until the writers are done and
 * the checkpoint has reached the last committed event.
 */
async function subscribe(lastPosition: () => string | undefined): Promise<string[]> {
  const seen: string[] = [];
  let after = START;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const page = await store.readAll({ after, limit: 7 });
    for (const event of page.events) {
      expect(store.comparePositions(event.position, after)).toBeGreaterThan(0);
      after = event.position;
      seen.push(event.eventId);
    }
    after = page.position;
    const last = lastPosition();
    if (last !== undefined && store.comparePositions(after, last) >= 0) return seen;
    if (Date.now() > deadline) throw new Error(`subscriber stuck at ${after}, last is ${last}`);
    await sleep(1);
  }
}

/** Reads events by a bare sequence checkpoint, the design that misses late commits. */
async function subscribeNaively(stop: () => boolean): Promise<string[]> {
  const seen: string[] = [];
  let lastSeq = 0n;
  let draining = 0;
  while (draining < 2) {
    const { rows } = await database.pool.query<{ event_id: string; seq: string }>(
      "SELECT event_id, seq FROM events WHERE seq > $1 ORDER BY seq LIMIT 7",
      [lastSeq.toString()],
    );
    for (const row of rows) {
      lastSeq = BigInt(row.seq);
      seen.push(row.event_id);
    }
    if (stop() && rows.length === 0) draining += 1;
    await sleep(1);
  }
  return seen;
}

it("sees every late-committing event exactly once, unlike a naive reader", async () => {
  let done = false;
  let lastPosition: string | undefined;
  const ours = subscribe(() => lastPosition);
  const naive = subscribeNaively(() => done);

  // One long transaction takes an early sequence number and commits after everyone else.
  const committed: Promise<string>[] = [appendSlowly(400)];
  const workers = Array.from({ length: writers }, async () => {
    for (let n = 0; n < appendsPerWriter; n += 1) {
      committed.push(appendSlowly(Math.floor(Math.random() * 40)));
      await sleep(Math.floor(Math.random() * 10));
    }
  });
  await Promise.all(workers);
  const expected = await Promise.all(committed);
  done = true;
  // Every writer has committed, so the last row by (tx_id, seq) is the last event in $all.
  const { rows } = await database.pool.query(
    "SELECT tx_id::text AS tx_id, seq FROM events ORDER BY tx_id DESC, seq DESC LIMIT 1",
  );
  lastPosition = formatPosition(rows[0].tx_id, rows[0].seq);

  const seen = await ours;
  const seenNaively = await naive;

  expect(new Set(seen).size).toBe(seen.length);
  expect([...seen].sort()).toEqual([...expected].sort());

  const lost = expected.filter((id) => !seenNaively.includes(id));
  expect(lost.length).toBeGreaterThan(0);
});
