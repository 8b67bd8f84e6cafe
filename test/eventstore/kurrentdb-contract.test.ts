import { randomUUID } from "node:crypto";
import {
  ANY,
  WrongExpectedVersionError as ClientWrongExpectedVersionError,
  jsonEvent,
  KurrentDBClient,
  NO_STREAM,
  STREAM_EXISTS,
  StreamNotFoundError,
  UnavailableError,
} from "@kurrent/kurrentdb-client";
import pino from "pino";
import { beforeEach, describe, expect, it } from "vitest";
import {
  ClaimConflictError,
  EventIdConflictError,
  InvalidEventError,
  WrongExpectedVersionError,
} from "../../src/eventstore/errors.ts";
import type { KurrentDbClient } from "../../src/eventstore/kurrentdb/client.ts";
import { KurrentDbEventStore } from "../../src/eventstore/kurrentdb/kurrentdb-event-store.ts";
import { claimStreamName, eventIdStreamName } from "../../src/eventstore/kurrentdb/reservations.ts";
import {
  streamStateAt,
  toStreamState,
  versionOfState,
} from "../../src/eventstore/kurrentdb/revisions.ts";
import { START } from "../../src/eventstore/port.ts";
import { type AlterableEvent, FakeKurrentDbClient } from "../support/fake-kurrentdb-client.ts";
import { describeEventStoreContract, newEvent } from "./contract.ts";

const logger = pino({ level: "silent" });

describeEventStoreContract("KurrentDB with the fake client", async ({ upcasters }) => {
  const client = new FakeKurrentDbClient();
  const store = new KurrentDbEventStore({
    client,
    upcasters,
    destroySubjectKeys: async () => {},
    logger,
  });
  return { store, close: () => store.close() };
});

const serverUrl = process.env.KURRENTDB_URL;
if (!serverUrl) {
  console.info("skipping the KurrentDB server contract: KURRENTDB_URL is not set");
}

describe.skipIf(!serverUrl)("KurrentDB server", () => {
  describeEventStoreContract("KurrentDB server", async ({ upcasters }) => {
    const client: KurrentDbClient & { dispose(): Promise<void> } = KurrentDBClient.connectionString(
      serverUrl!,
    );
    const store = new KurrentDbEventStore({
      client,
      upcasters,
      destroySubjectKeys: async () => {},
      logger,
    });
    return {
      store,
      close: async () => {
        await store.close();
        await client.dispose();
      },
    };
  });
});

describe("KurrentDB adapter", () => {
  let client: FakeKurrentDbClient;
  let store: KurrentDbEventStore;
  let destroyed: string[][];

  beforeEach(() => {
    client = new FakeKurrentDbClient();
    destroyed = [];
    store = new KurrentDbEventStore({
      client,
      destroySubjectKeys: async (subjectIds) => {
        destroyed.push(subjectIds);
      },
      logger,
    });
  });

  function streamName(): string {
    return `identity-${randomUUID()}`;
  }

  function statesSentTo(stream: string) {
    return client.appends
      .filter((append) => append.streamName === stream)
      .map((a) => a.streamState);
  }

  describe("revision mapping", () => {
    it("maps expected versions to stream states", () => {
      expect(toStreamState("no_stream")).toBe(NO_STREAM);
      expect(toStreamState(0)).toBe(NO_STREAM);
      expect(toStreamState("any")).toBe(ANY);
      expect(toStreamState("exists")).toBe(STREAM_EXISTS);
      expect(toStreamState(1)).toBe(0n);
      expect(toStreamState(7)).toBe(6n);
    });

    it("maps current stream states to versions", () => {
      expect(versionOfState(NO_STREAM)).toBe(0);
      expect(versionOfState(0n)).toBe(1);
      expect(versionOfState(41n)).toBe(42);
      expect(streamStateAt(0)).toBe(NO_STREAM);
      expect(streamStateAt(3)).toBe(2n);
    });

    it("sends 0-based revisions for versions", async () => {
      const stream = streamName();
      await store.append(stream, "no_stream", [newEvent("ThingCreated")]);
      await store.append(stream, 1, [newEvent("ThingChanged"), newEvent("ThingChanged")]);
      await store.append(stream, "any", [newEvent("ThingChanged")]);
      await store.append(stream, "exists", [newEvent("ThingChanged")]);

      expect(statesSentTo(stream)).toEqual([NO_STREAM, 0n, 2n, 3n]);
      const events = await store.readStream(stream);
      expect(events.map((event) => event.streamVersion)).toEqual([1, 2, 3, 4, 5]);
    });

    it("maps server conflict to actual version", async () => {
      const stream = streamName();
      await store.append(stream, "no_stream", [newEvent("ThingCreated")]);
      client.beforeNextAppend(stream, async () => {
        await client.appendToStream(stream, [jsonEvent({ type: "Intruded", data: {} })], {
          streamState: 0n,
        });
      });

      const error = await store
        .append(stream, 1, [newEvent("ThingChanged")])
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(WrongExpectedVersionError);
      expect((error as WrongExpectedVersionError).expectedVersion).toBe(1);
      expect((error as WrongExpectedVersionError).actualVersion).toBe(2);
    });

    it("redoes any append after conflict", async () => {
      const stream = streamName();
      await store.append(stream, "no_stream", [newEvent("ThingCreated")]);
      client.beforeNextAppend(stream, async () => {
        await store.append(stream, 1, [newEvent("ThingChanged")]);
      });

      const result = await store.append(stream, "any", [newEvent("ThingDeleted")]);
      expect(result.version).toBe(3);
      expect(statesSentTo(stream)).toEqual([NO_STREAM, 0n, 0n, 1n]);
      expect(await store.verifyStream(stream)).toEqual({
        streamId: stream,
        valid: true,
        checked: 3,
      });
    });

    it("pins the client's error fields", () => {
      const error = new ClientWrongExpectedVersionError(undefined, {
        streamName: "s",
        expected: NO_STREAM,
        current: 4n,
      });
      expect(error.expectedState).toBe(NO_STREAM);
      expect(error.actualState).toBe(4n);
    });
  });

  describe("missing streams", () => {
    it("raises stream not found while iterating", async () => {
      const read = client.readStream(streamName());
      const iterator = read[Symbol.asyncIterator]();
      await expect(iterator.next()).rejects.toBeInstanceOf(StreamNotFoundError);
    });

    it("reads a missing stream as empty", async () => {
      expect(await store.readStream(streamName())).toEqual([]);
      expect(await store.readStream(streamName(), { fromVersion: 3, toVersion: 5 })).toEqual([]);
    });

    it("verifies a missing stream as empty", async () => {
      const stream = streamName();
      expect(await store.verifyStream(stream)).toEqual({
        streamId: stream,
        valid: true,
        checked: 0,
      });
    });
  });

  describe("reservations", () => {
    const claim = () => ({ type: "email", key: randomUUID() });

    async function reservationEvents(reservationStream: string) {
      const events: string[] = [];
      for await (const { event } of client.readStream(reservationStream)) {
        const data = event!.data as { streamId: string };
        events.push(`${event!.type}:${data.streamId}`);
      }
      return events;
    }

    it("releases claims after a failed append", async () => {
      const stream = streamName();
      const email = claim();
      await store.append(stream, "no_stream", [newEvent("ThingCreated")]);
      client.beforeNextAppend(stream, async () => {
        await client.appendToStream(stream, [jsonEvent({ type: "Intruded", data: {} })]);
      });

      const error = await store
        .append(stream, 1, [newEvent("ThingChanged")], { claims: [email] })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(WrongExpectedVersionError);
      expect(await reservationEvents(claimStreamName(email))).toEqual([
        `ClaimReserved:${stream}`,
        `ClaimReleased:${stream}`,
      ]);

      const rival = streamName();
      const result = await store.append(rival, "no_stream", [newEvent("ThingCreated")], {
        claims: [email],
      });
      expect(result.version).toBe(1);
      expect(await reservationEvents(claimStreamName(email))).toHaveLength(3);
    });

    it("releases event ids on claim conflict", async () => {
      const email = claim();
      await store.append(streamName(), "no_stream", [newEvent("ThingCreated")], {
        claims: [email],
      });
      const event = newEvent("ThingCreated");
      const loser = streamName();

      const error = await store
        .append(loser, "no_stream", [event], { claims: [email] })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ClaimConflictError);
      expect(await reservationEvents(eventIdStreamName(event.eventId))).toEqual([
        `ClaimReserved:${loser}`,
        `ClaimReleased:${loser}`,
      ]);

      const other = streamName();
      const result = await store.append(other, "no_stream", [event]);
      expect(result.version).toBe(1);
    });

    it("keeps claims after an unknown outcome", async () => {
      const stream = streamName();
      const email = claim();
      const events = [newEvent("ThingCreated")];
      client.beforeNextAppend(stream, () => {
        throw new UnavailableError(undefined, "connection lost");
      });

      const error = await store
        .append(stream, "no_stream", events, { claims: [email] })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(UnavailableError);
      expect(await reservationEvents(claimStreamName(email))).toEqual([`ClaimReserved:${stream}`]);

      const retry = await store.append(stream, "no_stream", events, { claims: [email] });
      expect(retry.version).toBe(1);
      expect(await store.readStream(stream)).toHaveLength(1);
    });

    it("keeps key both claimed and released", async () => {
      const stream = streamName();
      const email = claim();
      await store.append(stream, "no_stream", [newEvent("ThingCreated")], { claims: [email] });
      await store.append(stream, 1, [newEvent("ThingChanged")], {
        claims: [email],
        releases: [email],
      });

      const error = await store
        .append(streamName(), "no_stream", [newEvent("ThingCreated")], { claims: [email] })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ClaimConflictError);
    });

    it("keeps claim types with dashes apart", () => {
      const dashedType = claimStreamName({ type: "a-b", key: "c" });
      const dashedKey = claimStreamName({ type: "a", key: "b-c" });
      expect(dashedType).not.toBe(dashedKey);
      expect(dashedType).toBe("reservation-a%2Db-c");
    });

    it("rejects streams named like reservations", async () => {
      const error = await store
        .append(`reservation-${randomUUID()}`, "any", [newEvent("ThingCreated")])
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(InvalidEventError);
    });

    it("rejects a retry that differs in order", async () => {
      const stream = streamName();
      const first = newEvent("ThingCreated");
      const second = newEvent("ThingChanged");
      await store.append(stream, "no_stream", [first, second]);

      const error = await store
        .append(stream, "any", [second, first])
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(EventIdConflictError);
      expect(await store.readStream(stream)).toHaveLength(2);
    });
  });

  describe("subject keys", () => {
    it("destroys keys after the append", async () => {
      const stream = streamName();
      await store.append(stream, "no_stream", [newEvent("ThingCreated")], {
        destroySubjectKeys: ["subject-1", "subject-2"],
      });
      expect(destroyed).toEqual([["subject-1", "subject-2"]]);
    });

    it("keeps keys when the append fails", async () => {
      const stream = streamName();
      await store.append(stream, "no_stream", [newEvent("ThingCreated")]);
      await store
        .append(stream, "no_stream", [newEvent("ThingErased")], {
          destroySubjectKeys: ["subject-1"],
        })
        .catch(() => undefined);
      expect(destroyed).toEqual([]);
    });

    it("destroys keys again on retry", async () => {
      const stream = streamName();
      const events = [newEvent("ThingErased")];
      await store.append(stream, "no_stream", events, { destroySubjectKeys: ["subject-1"] });
      const retry = await store.append(stream, "no_stream", events, {
        destroySubjectKeys: ["subject-1"],
      });
      expect(retry.version).toBe(1);
      expect(destroyed).toEqual([["subject-1"], ["subject-1"]]);
    });
  });

  describe("hash chain", () => {
    async function appendThree(stream: string) {
      await store.append(stream, "no_stream", [newEvent("ThingCreated", { n: 1 })]);
      await store.append(stream, 1, [
        newEvent("ThingChanged", { n: 2 }),
        newEvent("ThingChanged", { n: 3 }),
      ]);
    }

    it("verifies an untouched stream", async () => {
      const stream = streamName();
      await appendThree(stream);
      expect(await store.verifyStream(stream)).toEqual({
        streamId: stream,
        valid: true,
        checked: 3,
      });
    });

    const alterations: Array<[string, bigint, (event: AlterableEvent) => void, number]> = [
      ["changed data", 1n, (event) => Object.assign(event.data, { n: 99 }), 2],
      [
        "changed envelope",
        0n,
        (event) => {
          const envelope = event.metadata?.envelope as { actor: { id: string } };
          envelope.actor.id = "someone-else";
        },
        1,
      ],
      [
        "changed schema version",
        2n,
        (event) => Object.assign(event.metadata!, { schemaVersion: 2 }),
        3,
      ],
      ["removed metadata", 1n, (event) => Object.assign(event, { metadata: undefined }), 2],
      ["replaced hash", 2n, (event) => Object.assign(event.metadata!, { hash: "0".repeat(64) }), 3],
    ];

    for (const [name, revision, alter, brokenAtVersion] of alterations) {
      it(`catches ${name}`, async () => {
        const stream = streamName();
        await appendThree(stream);
        client.alterEvent(stream, revision, alter);

        const result = await store.verifyStream(stream);
        expect(result.valid).toBe(false);
        expect(result.brokenAtVersion).toBe(brokenAtVersion);
        expect(result.checked).toBe(brokenAtVersion);
      });
    }

    it("links the first event of each append", async () => {
      const stream = streamName();
      await appendThree(stream);
      const hashes: string[] = [];
      for await (const { event } of client.readStream(stream)) {
        hashes.push((event!.metadata as { hash: string }).hash);
      }
      expect(new Set(hashes).size).toBe(3);
      expect(hashes.every((hash) => /^[0-9a-f]{64}$/.test(hash))).toBe(true);
    });
  });

  describe("$all reads", () => {
    it("skips system events and reservations", async () => {
      const stream = streamName();
      await store.append(stream, "no_stream", [newEvent("ThingCreated")], {
        claims: [{ type: "email", key: randomUUID() }],
      });
      await client.appendToStream("$stats-127.0.0.1:2113", [
        jsonEvent({ type: "$statsCollected", data: {} }),
      ]);

      const page = await store.readAll({ after: START });
      expect(page.events.map((event) => event.streamId)).toEqual([stream]);
      expect(await store.headPosition()).toBe(page.events[0]!.position);
    });

    it("fake reads from position inclusively", async () => {
      await store.append(streamName(), "no_stream", [
        newEvent("ThingCreated"),
        newEvent("ThingChanged"),
      ]);
      const all: Array<{ commit: bigint; prepare: bigint }> = [];
      for await (const { event } of client.readAll()) all.push(event!.position);

      const from = all[1]!;
      const read: Array<{ commit: bigint; prepare: bigint }> = [];
      for await (const { event } of client.readAll({ fromPosition: from, maxCount: 1 })) {
        read.push(event!.position);
      }
      expect(read).toEqual([from]);
    });

    it("orders one append by prepare position", async () => {
      const result = await store.append(streamName(), "no_stream", [
        newEvent("ThingCreated"),
        newEvent("ThingChanged"),
      ]);
      const [first, second] = await store.readStream(result.streamId);
      expect(first!.position.split("/")[0]).toBe(second!.position.split("/")[0]);
      expect(store.comparePositions(first!.position, second!.position)).toBeLessThan(0);
      expect(store.comparePositions(second!.position, first!.position)).toBeGreaterThan(0);
    });

    it("rejects a malformed position", async () => {
      const error = await store.readAll({ after: "12.5" }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(InvalidEventError);
    });

    it("finds head behind many reservations", async () => {
      const stream = streamName();
      const heldEmail = { type: "email", key: randomUUID() };
      await store.append(stream, "no_stream", [newEvent("ThingCreated")], { claims: [heldEmail] });
      // Each rejected append writes and releases two reservations: four events behind the head.
      for (let n = 0; n < 60; n += 1) {
        const error = await store
          .append(streamName(), "no_stream", [newEvent("ThingCreated")], {
            claims: [{ type: "phone", key: randomUUID() }, heldEmail],
          })
          .catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(ClaimConflictError);
      }

      const [event] = await store.readStream(stream);
      expect(await store.headPosition()).toBe(event!.position);
      const page = await store.readAll({ after: START, limit: 5 });
      expect(page.events.map((recorded) => recorded.streamId)).toEqual([stream]);
      expect(store.comparePositions(page.position, event!.position)).toBeGreaterThan(0);
    });
  });

  describe("wake-ups", () => {
    it("ignores reservation writes", async () => {
      let calls = 0;
      const stop = await store.onAppended(() => {
        calls += 1;
      });
      await client.appendToStream(claimStreamName({ type: "email", key: randomUUID() }), [
        jsonEvent({ type: "ClaimReserved", data: { streamId: "x" } }),
      ]);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(calls).toBe(0);

      await store.append(streamName(), "no_stream", [newEvent("ThingCreated")]);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(calls).toBe(1);
      await stop();
      expect(client.subscriptionCount).toBe(0);
    });

    it("closes open subscriptions on close", async () => {
      await store.onAppended(() => {});
      expect(client.subscriptionCount).toBe(1);
      await store.close();
      expect(client.subscriptionCount).toBe(0);
    });
  });
});
