import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresEventStore } from "../../src/eventstore/postgres/postgres-event-store.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { newEvent } from "./contract.ts";

let database: TestDatabase;
let store: PostgresEventStore;

beforeAll(async () => {
  database = await createTestDatabase("immutability");
  store = new PostgresEventStore({ pool: database.pool });
});

afterAll(async () => {
  await database.drop();
});

async function streamWithEvents(count: number): Promise<string> {
  const stream = `thing-${randomUUID()}`;
  await store.append(
    stream,
    "no_stream",
    Array.from({ length: count }, (_, n) => newEvent("ThingChanged", { n })),
  );
  return stream;
}

describe("event immutability", () => {
  for (const [operation, sql] of [
    ["UPDATE", "UPDATE events SET data = '{}' WHERE stream_id = $1"],
    ["DELETE", "DELETE FROM events WHERE stream_id = $1"],
  ] as const) {
    it(`rejects ${operation} on events`, async () => {
      const stream = await streamWithEvents(1);
      const error = await database.pool.query(sql, [stream]).catch((caught: unknown) => caught);
      expect((error as { code?: string }).code).toBe("RG010");
      expect(await store.readStream(stream)).toHaveLength(1);
    });
  }

  it("rejects TRUNCATE on events", async () => {
    const error = await database.pool.query("TRUNCATE events").catch((caught: unknown) => caught);
    expect((error as { code?: string }).code).toBe("RG010");
  });
});

describe("hash chain verification", () => {
  it("accepts an untouched stream", async () => {
    const stream = await streamWithEvents(3);
    await store.append(stream, 3, [newEvent("ThingChanged", { n: 3 })]);
    expect(await store.verifyStream(stream)).toEqual({ streamId: stream, valid: true, checked: 4 });
  });

  it("links single-event and batched appends into one chain", async () => {
    // Single events without claims take the one-statement path, the rest the SQL function.
    const stream = `thing-${randomUUID()}`;
    await store.append(stream, "no_stream", [newEvent("ThingChanged", { n: 1 })]);
    await store.append(stream, 1, [newEvent("ThingChanged", { n: 2 })]);
    await store.append(stream, "exists", [
      newEvent("ThingChanged", { n: 3 }),
      newEvent("ThingChanged", { n: 4 }),
    ]);
    await store.append(stream, "any", [newEvent("ThingChanged", { n: 5 })], {
      claims: [{ type: "thing", key: randomUUID() }],
    });
    await store.append(stream, "any", [newEvent("ThingChanged", { n: 6 })]);
    expect(await store.verifyStream(stream)).toEqual({ streamId: stream, valid: true, checked: 6 });
  });

  it("keeps one chain when concurrent writers append with any", async () => {
    const stream = `thing-${randomUUID()}`;
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, n) =>
        store.append(stream, "any", [newEvent("ThingChanged", { n })]),
      ),
    );
    expect(results.map((result) => result.version).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 24 }, (_, n) => n + 1),
    );
    expect(await store.verifyStream(stream)).toEqual({
      streamId: stream,
      valid: true,
      checked: 24,
    });
  });

  it("finds an event altered behind the trigger", async () => {
    const stream = await streamWithEvents(4);
    await tamper(
      "UPDATE events SET data = '{\"n\": 99}' WHERE stream_id = $1 AND stream_version = 3",
      stream,
    );

    const result = await store.verifyStream(stream);
    expect(result.valid).toBe(false);
    expect(result.brokenAtVersion).toBe(3);
  });

  it("finds altered metadata", async () => {
    const stream = await streamWithEvents(2);
    await tamper(
      `UPDATE events SET metadata = jsonb_set(metadata, '{actor,id}', '"someone-else"')
       WHERE stream_id = $1 AND stream_version = 1`,
      stream,
    );
    expect((await store.verifyStream(stream)).brokenAtVersion).toBe(1);
  });

  it("finds a deleted last event", async () => {
    const stream = await streamWithEvents(3);
    await tamper("DELETE FROM events WHERE stream_id = $1 AND stream_version = 3", stream);

    const result = await store.verifyStream(stream);
    expect(result.valid).toBe(false);
    expect(result.brokenAtVersion).toBe(3);
  });
});

/** Changes events as a superuser would, with triggers off for this session only. */
async function tamper(sql: string, stream: string): Promise<void> {
  const client = await database.pool.connect();
  try {
    await client.query("SET session_replication_role = replica");
    await client.query(sql, [stream]);
    await client.query("SET session_replication_role = DEFAULT");
  } finally {
    client.release();
  }
}
