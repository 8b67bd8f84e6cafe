import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventMetadata } from "../../src/eventstore/envelope.ts";
import {
  ClaimConflictError,
  EventIdConflictError,
  InvalidEventError,
  WrongExpectedVersionError,
} from "../../src/eventstore/errors.ts";
import { type EventStore, type NewEvent, START } from "../../src/eventstore/port.ts";
import { UpcasterRegistry } from "../../src/eventstore/upcasters.ts";
import { eventually } from "../support/eventually.ts";

export interface StoreUnderTest {
  store: EventStore;
  close(): Promise<void>;
}

export type StoreFactory = (options: { upcasters: UpcasterRegistry }) => Promise<StoreUnderTest>;

export function metadata(overrides: Partial<EventMetadata> = {}): EventMetadata {
  return {
    correlationId: randomUUID(),
    causationId: null,
    actor: { type: "system", id: "contract-test" },
    source: { requestId: "req-1", ip: "127.0.0.1", userAgent: "vitest" },
    occurredAt: new Date().toISOString(),
    ...overrides,
  };
}

export function newEvent(type: string, data: Record<string, unknown> = {}): NewEvent {
  return { eventId: randomUUID(), type, data, metadata: metadata() };
}

function streamName(prefix = "thing"): string {
  return `${prefix}-${randomUUID()}`;
}

/** The behaviour every event-store adapter must share, run once per adapter. */
export function describeEventStoreContract(adapter: string, createStore: StoreFactory): void {
  describe(`event store contract: ${adapter}`, () => {
    let store: EventStore;
    let subject: StoreUnderTest;

    beforeAll(async () => {
      const upcasters = new UpcasterRegistry()
        .register("ThingRenamed", 1, (data) => ({ fullName: data.name, renamedBy: "unknown" }))
        .register("ThingRenamed", 2, (data) => ({ ...data, locale: "en" }));
      subject = await createStore({ upcasters });
      store = subject.store;
    });

    afterAll(async () => {
      await subject.close();
    });

    describe("expected versions", () => {
      it("appends a new stream from version 1", async () => {
        const stream = streamName();
        const result = await store.append(stream, "no_stream", [
          newEvent("ThingCreated", { n: 1 }),
          newEvent("ThingChanged", { n: 2 }),
        ]);
        expect(result.version).toBe(2);

        const events = await store.readStream(stream);
        expect(events.map((event) => event.streamVersion)).toEqual([1, 2]);
        expect(events.map((event) => event.type)).toEqual(["ThingCreated", "ThingChanged"]);
        expect(events[1]!.data).toEqual({ n: 2 });
        expect(events[0]!.metadata.actor.id).toBe("contract-test");
        expect(events[1]!.position).toBe(result.position);
      });

      it("rejects no_stream on an existing stream", async () => {
        const stream = streamName();
        await store.append(stream, "no_stream", [newEvent("ThingCreated")]);
        const error = await store
          .append(stream, "no_stream", [newEvent("ThingChanged")])
          .catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(WrongExpectedVersionError);
        expect((error as WrongExpectedVersionError).actualVersion).toBe(1);
        expect(await store.readStream(stream)).toHaveLength(1);
      });

      it("rejects exists on a missing stream", async () => {
        const error = await store
          .append(streamName(), "exists", [newEvent("ThingChanged")])
          .catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(WrongExpectedVersionError);
        expect((error as WrongExpectedVersionError).actualVersion).toBe(0);
      });

      it("accepts exists on an existing stream", async () => {
        const stream = streamName();
        await store.append(stream, "no_stream", [newEvent("ThingCreated")]);
        const result = await store.append(stream, "exists", [newEvent("ThingChanged")]);
        expect(result.version).toBe(2);
      });

      it("checks a numeric expected version", async () => {
        const stream = streamName();
        await store.append(stream, "no_stream", [newEvent("ThingCreated")]);
        await store.append(stream, 1, [newEvent("ThingChanged")]);

        const error = await store
          .append(stream, 1, [newEvent("ThingChanged")])
          .catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(WrongExpectedVersionError);
        expect((error as WrongExpectedVersionError).actualVersion).toBe(2);
        expect((error as WrongExpectedVersionError).expectedVersion).toBe(1);
      });

      it("treats version 0 as an empty stream", async () => {
        const result = await store.append(streamName(), 0, [newEvent("ThingCreated")]);
        expect(result.version).toBe(1);
      });

      it("appends with any whatever the version", async () => {
        const stream = streamName();
        await store.append(stream, "any", [newEvent("ThingCreated")]);
        const result = await store.append(stream, "any", [newEvent("ThingChanged")]);
        expect(result.version).toBe(2);
      });
    });

    describe("idempotent retry", () => {
      it("returns the first result for re-sent event ids", async () => {
        const stream = streamName();
        const events = [newEvent("ThingCreated"), newEvent("ThingChanged")];
        const first = await store.append(stream, "no_stream", events);
        const retry = await store.append(stream, "no_stream", events);

        expect(retry.version).toBe(first.version);
        expect(retry.position).toBe(first.position);
        expect(await store.readStream(stream)).toHaveLength(2);
      });

      it("accepts a retry after later appends", async () => {
        const stream = streamName();
        const events = [newEvent("ThingCreated")];
        await store.append(stream, "no_stream", events);
        await store.append(stream, 1, [newEvent("ThingChanged")]);

        const retry = await store.append(stream, "no_stream", events);
        expect(retry.version).toBe(1);
        expect(await store.readStream(stream)).toHaveLength(2);
      });

      it("rejects ids stored as part of another append", async () => {
        const stream = streamName();
        const stored = newEvent("ThingCreated");
        await store.append(stream, "no_stream", [stored]);

        const error = await store
          .append(stream, "any", [stored, newEvent("ThingChanged")])
          .catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(EventIdConflictError);
        expect(await store.readStream(stream)).toHaveLength(1);
      });

      it("rejects an id stored in another stream", async () => {
        const stored = newEvent("ThingCreated");
        await store.append(streamName(), "no_stream", [stored]);
        const other = streamName();

        const error = await store.append(other, "any", [stored]).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(EventIdConflictError);
        expect(await store.readStream(other)).toHaveLength(0);
      });
    });

    describe("input checks", () => {
      const cases: Array<[string, () => NewEvent[], string?]> = [
        ["empty append", () => []],
        ["event id not a UUID", () => [{ ...newEvent("ThingCreated"), eventId: "42" }]],
        ["lower-case event type", () => [newEvent("thingCreated")]],
        ["array data", () => [{ ...newEvent("ThingCreated"), data: [1] }]],
        [
          "metadata without correlation id",
          () => [{ ...newEvent("ThingCreated"), metadata: { ...metadata(), correlationId: "" } }],
        ],
        [
          "metadata with unknown key",
          () => [
            {
              ...newEvent("ThingCreated"),
              metadata: { ...metadata(), extra: 1 } as unknown as EventMetadata,
            },
          ],
        ],
        [
          "duplicate ids in one append",
          () => {
            const event = newEvent("ThingCreated");
            return [event, event];
          },
        ],
        ["stream id with a space", () => [newEvent("ThingCreated")], "bad stream"],
      ];

      for (const [name, build, stream] of cases) {
        it(`rejects ${name}`, async () => {
          const target = stream ?? streamName();
          const error = await store
            .append(target, "any", build())
            .catch((caught: unknown) => caught);
          expect(error).toBeInstanceOf(InvalidEventError);
          expect(await store.readStream(target)).toHaveLength(0);
        });
      }

      it("rejects a negative expected version", async () => {
        const error = await store
          .append(streamName(), -1, [newEvent("ThingCreated")])
          .catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(InvalidEventError);
      });
    });

    describe("claims", () => {
      it("rejects a claim held by another stream", async () => {
        const key = randomUUID();
        const owner = streamName();
        const rival = streamName();
        await store.append(owner, "no_stream", [newEvent("ThingCreated")], {
          claims: [{ type: "email", key }],
        });

        const error = await store
          .append(rival, "no_stream", [newEvent("ThingCreated")], {
            claims: [{ type: "email", key }],
          })
          .catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(ClaimConflictError);
        expect((error as ClaimConflictError).claimType).toBe("email");
        expect(await store.readStream(rival)).toHaveLength(0);
      });

      it("keeps claims of different types apart", async () => {
        const key = randomUUID();
        await store.append(streamName(), "no_stream", [newEvent("ThingCreated")], {
          claims: [{ type: "email", key }],
        });
        const result = await store.append(streamName(), "no_stream", [newEvent("ThingCreated")], {
          claims: [{ type: "username", key }],
        });
        expect(result.version).toBe(1);
      });

      it("lets the holder claim again", async () => {
        const key = randomUUID();
        const owner = streamName();
        await store.append(owner, "no_stream", [newEvent("ThingCreated")], {
          claims: [{ type: "email", key }],
        });
        const result = await store.append(owner, 1, [newEvent("ThingChanged")], {
          claims: [{ type: "email", key }],
        });
        expect(result.version).toBe(2);
      });

      it("frees a released claim", async () => {
        const key = randomUUID();
        const owner = streamName();
        await store.append(owner, "no_stream", [newEvent("ThingCreated")], {
          claims: [{ type: "email", key }],
        });
        await store.append(owner, 1, [newEvent("ThingChanged")], {
          releases: [{ type: "email", key }],
        });

        const result = await store.append(streamName(), "no_stream", [newEvent("ThingCreated")], {
          claims: [{ type: "email", key }],
        });
        expect(result.version).toBe(1);
      });

      it("ignores a release by a stream that does not hold it", async () => {
        const key = randomUUID();
        const owner = streamName();
        await store.append(owner, "no_stream", [newEvent("ThingCreated")], {
          claims: [{ type: "email", key }],
        });
        await store.append(streamName(), "no_stream", [newEvent("ThingCreated")], {
          releases: [{ type: "email", key }],
        });

        const error = await store
          .append(streamName(), "no_stream", [newEvent("ThingCreated")], {
            claims: [{ type: "email", key }],
          })
          .catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(ClaimConflictError);
      });

      it("swaps claims atomically in one append", async () => {
        const oldKey = randomUUID();
        const newKey = randomUUID();
        const owner = streamName();
        await store.append(owner, "no_stream", [newEvent("ThingCreated")], {
          claims: [{ type: "email", key: oldKey }],
        });
        await store.append(owner, 1, [newEvent("ThingChanged")], {
          claims: [{ type: "email", key: newKey }],
          releases: [{ type: "email", key: oldKey }],
        });

        const freed = await store.append(streamName(), "no_stream", [newEvent("ThingCreated")], {
          claims: [{ type: "email", key: oldKey }],
        });
        expect(freed.version).toBe(1);
        const taken = await store
          .append(streamName(), "no_stream", [newEvent("ThingCreated")], {
            claims: [{ type: "email", key: newKey }],
          })
          .catch((caught: unknown) => caught);
        expect(taken).toBeInstanceOf(ClaimConflictError);
      });

      it("leaves claims untouched when the version check fails", async () => {
        const key = randomUUID();
        const owner = streamName();
        await store.append(owner, "no_stream", [newEvent("ThingCreated")]);
        await store
          .append(owner, 5, [newEvent("ThingChanged")], { claims: [{ type: "email", key }] })
          .catch(() => undefined);

        const result = await store.append(streamName(), "no_stream", [newEvent("ThingCreated")], {
          claims: [{ type: "email", key }],
        });
        expect(result.version).toBe(1);
      });

      it("grants one of two concurrent claims", async () => {
        const key = randomUUID();
        const results = await Promise.allSettled(
          [streamName(), streamName()].map((stream) =>
            store.append(stream, "no_stream", [newEvent("ThingCreated")], {
              claims: [{ type: "email", key }],
            }),
          ),
        );
        const granted = results.filter((result) => result.status === "fulfilled");
        const rejected = results.filter((result) => result.status === "rejected");
        expect(granted).toHaveLength(1);
        expect(rejected).toHaveLength(1);
        expect((rejected[0] as PromiseRejectedResult).reason).toBeInstanceOf(ClaimConflictError);
      });
    });

    describe("stream reads", () => {
      it("returns an empty list for an unknown stream", async () => {
        expect(await store.readStream(streamName())).toEqual([]);
      });

      it("reads a version range", async () => {
        const stream = streamName();
        await store.append(
          stream,
          "no_stream",
          [1, 2, 3, 4, 5].map((n) => newEvent("ThingChanged", { n })),
        );
        const events = await store.readStream(stream, { fromVersion: 2, toVersion: 4 });
        expect(events.map((event) => event.data)).toEqual([{ n: 2 }, { n: 3 }, { n: 4 }]);
      });

      it("reads up to a point in time", async () => {
        const stream = streamName();
        await store.append(stream, "no_stream", [newEvent("ThingCreated")]);
        await sleep(30);
        const cutoff = new Date();
        await sleep(30);
        await store.append(stream, 1, [newEvent("ThingChanged")]);

        const before = await store.readStream(stream, { until: cutoff });
        expect(before.map((event) => event.type)).toEqual(["ThingCreated"]);
        const all = await store.readStream(stream);
        expect(all).toHaveLength(2);
        expect(all[0]!.recordedAt.getTime()).toBeLessThanOrEqual(cutoff.getTime());
        expect(all[1]!.recordedAt.getTime()).toBeGreaterThan(cutoff.getTime());
      });
    });

    describe("$all reads", () => {
      it("returns appended events in append order", async () => {
        const from = await store.headPosition();
        const first = streamName();
        const second = streamName();
        await store.append(first, "no_stream", [newEvent("ThingCreated", { n: 1 })]);
        await store.append(second, "no_stream", [newEvent("ThingCreated", { n: 2 })]);
        await store.append(first, 1, [newEvent("ThingChanged", { n: 3 })]);

        await eventually(async () => {
          const page = await store.readAll({ after: from });
          const ours = page.events.filter((e) => e.streamId === first || e.streamId === second);
          expect(ours.map((event) => event.data)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
          expect(store.comparePositions(page.position, from)).toBeGreaterThan(0);
        });
      });

      it("pages with after and limit", async () => {
        const from = await store.headPosition();
        const stream = streamName();
        for (let n = 1; n <= 5; n += 1) {
          await store.append(stream, "any", [newEvent("ThingChanged", { n })]);
        }

        const seen: unknown[] = [];
        let after = from;
        await eventually(async () => {
          for (let page = 0; page < 10; page += 1) {
            const result = await store.readAll({ after, limit: 2 });
            seen.push(...result.events.filter((e) => e.streamId === stream).map((e) => e.data));
            after = result.position;
            if (result.events.length === 0) break;
          }
          expect(seen).toEqual([1, 2, 3, 4, 5].map((n) => ({ n })));
        });
      });

      it("filters by event type", async () => {
        const from = await store.headPosition();
        const stream = streamName();
        await store.append(stream, "no_stream", [
          newEvent("ThingCreated"),
          newEvent("ThingChanged", { n: 1 }),
          newEvent("ThingDeleted"),
        ]);

        await eventually(async () => {
          const page = await store.readAll({
            after: from,
            types: ["ThingChanged", "ThingDeleted"],
          });
          const ours = page.events.filter((e) => e.streamId === stream);
          expect(ours.map((e) => e.type)).toEqual(["ThingChanged", "ThingDeleted"]);
        });
      });

      it("moves past events of other types", async () => {
        const from = await store.headPosition();
        const stream = streamName();
        const result = await store.append(stream, "no_stream", [newEvent("ThingCreated")]);

        await eventually(async () => {
          const page = await store.readAll({ after: from, types: ["NothingHappened"] });
          expect(page.events).toEqual([]);
          expect(store.comparePositions(page.position, result.position)).toBeGreaterThanOrEqual(0);
        });
      });

      it("reports the head after the last append", async () => {
        const result = await store.append(streamName(), "no_stream", [newEvent("ThingCreated")]);
        await eventually(async () => {
          expect(await store.headPosition()).toBe(result.position);
        });
      });

      it("orders START before every event", async () => {
        const result = await store.append(streamName(), "no_stream", [newEvent("ThingCreated")]);
        expect(store.comparePositions(START, result.position)).toBeLessThan(0);
        expect(store.comparePositions(result.position, result.position)).toBe(0);
      });

      it("wakes listeners after an append", async () => {
        let calls = 0;
        const stop = await store.onAppended(() => {
          calls += 1;
        });
        try {
          await store.append(streamName(), "no_stream", [newEvent("ThingCreated")]);
          for (let wait = 0; wait < 50 && calls === 0; wait += 1) await sleep(20);
          expect(calls).toBeGreaterThan(0);
        } finally {
          await stop();
        }
      });
    });

    describe("upcasting", () => {
      it("upcasts old versions on stream reads", async () => {
        const stream = streamName();
        await store.append(stream, "no_stream", [
          { ...newEvent("ThingRenamed", { name: "old" }), schemaVersion: 1 },
          { ...newEvent("ThingRenamed", { fullName: "new", renamedBy: "x" }), schemaVersion: 2 },
          {
            ...newEvent("ThingRenamed", { fullName: "cur", renamedBy: "y", locale: "de" }),
            schemaVersion: 3,
          },
        ]);

        const events = await store.readStream(stream);
        expect(events.map((e) => e.schemaVersion)).toEqual([3, 3, 3]);
        expect(events[0]!.data).toEqual({ fullName: "old", renamedBy: "unknown", locale: "en" });
        expect(events[1]!.data).toEqual({ fullName: "new", renamedBy: "x", locale: "en" });
        expect(events[2]!.data).toEqual({ fullName: "cur", renamedBy: "y", locale: "de" });
      });

      it("upcasts old versions on $all reads", async () => {
        const from = await store.headPosition();
        const stream = streamName();
        await store.append(stream, "no_stream", [
          { ...newEvent("ThingRenamed", { name: "old" }), schemaVersion: 1 },
        ]);
        await eventually(async () => {
          const page = await store.readAll({ after: from, types: ["ThingRenamed"] });
          const ours = page.events.find((e) => e.streamId === stream);
          expect(ours?.data).toEqual({ fullName: "old", renamedBy: "unknown", locale: "en" });
        });
      });
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
