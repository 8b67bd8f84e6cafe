import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventMetadata } from "../../src/eventstore/envelope.ts";
import type { Claim, NewEvent } from "../../src/eventstore/port.ts";
import { PostgresEventStore } from "../../src/eventstore/postgres/postgres-event-store.ts";
import { ClaimKeyHasher } from "../../src/personal-data/claim-key.ts";
import { ERASED } from "../../src/personal-data/erased.ts";
import { PersonalDataCodec } from "../../src/personal-data/event-codec.ts";
import { PostgresKeyStore } from "../../src/personal-data/postgres-key-store.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { freshKeyring, sourceMetadata } from "./fixtures.ts";

const run = promisify(execFile);

interface Person {
  identityId: string;
  email: string;
  first: string;
  last: string;
  ip: string;
  userAgent: string;
}

const ada: Person = {
  identityId: randomUUID(),
  email: "augusta.ada@example.com",
  first: "Augusta",
  last: "Lovelace",
  ip: "198.51.100.23",
  userAgent: "Mozilla/5.0 (Erasure Test; Ada)",
};
const grace: Person = {
  identityId: randomUUID(),
  email: "grace.hopper@example.com",
  first: "Grace",
  last: "Hopper",
  ip: "203.0.113.41",
  userAgent: "Mozilla/5.0 (Erasure Test; Grace)",
};

let database: TestDatabase;
let store: PostgresEventStore;
let keys: PostgresKeyStore;
let codec: PersonalDataCodec;
const keyring = freshKeyring().keyring;
const claims = new ClaimKeyHasher(Buffer.alloc(32, 7));

async function dumpEvents(): Promise<string> {
  const { stdout } = await run("/usr/bin/pg_dump", ["--data-only", "-t", "events", database.url]);
  return stdout;
}

function personalValues(person: Person): string[] {
  return [person.email, person.first, person.last, person.ip, person.userAgent];
}

function emailClaim(person: Person): Claim {
  return { type: "email", key: claims.claimKey("email", person.email) };
}

function streamOf(person: Person): string {
  return `identity-${person.identityId}`;
}

async function registerAndLogIn(person: Person): Promise<void> {
  const registeredEvent: NewEvent = {
    eventId: randomUUID(),
    type: "IdentityRegistered",
    data: {
      identityId: person.identityId,
      traits: { email: person.email, name: { first: person.first, last: person.last } },
    },
    metadata: sourceMetadata(person.ip, person.userAgent),
  };
  const sessionEvent: NewEvent = {
    eventId: randomUUID(),
    type: "SessionIssued",
    data: { identityId: person.identityId, sessionId: randomUUID(), aal: "aal1" },
    metadata: sourceMetadata(person.ip, person.userAgent),
  };
  const id = person.identityId;
  const events = [
    await codec.encryptEvent(id, registeredEvent, ["traits"]),
    await codec.encryptEvent(id, sessionEvent, []),
  ];
  await store.append(streamOf(person), "no_stream", events, { claims: [emailClaim(person)] });
}

beforeAll(async () => {
  database = await createTestDatabase("pd_erasure");
  store = new PostgresEventStore({ pool: database.pool });
  keys = new PostgresKeyStore({ pool: database.pool, keyring });
  codec = new PersonalDataCodec(keys);
  await registerAndLogIn(ada);
  await registerAndLogIn(grace);
});

afterAll(async () => {
  await database.drop();
});

describe("erasure by key destruction", () => {
  let dumpBefore: string;

  it("stores only ciphertext of personal fields", async () => {
    dumpBefore = await dumpEvents();

    expect(dumpBefore).toContain("IdentityRegistered");
    expect(dumpBefore).toContain(`pd1.${ada.identityId}.`);
    expect(dumpBefore).toContain(`pd1.${grace.identityId}.`);
    for (const value of [...personalValues(ada), ...personalValues(grace)]) {
      expect(dumpBefore, value).not.toContain(value);
    }
  });

  it("decrypts stored events before erasure", async () => {
    const [registered, session] = await codec.decryptEvents(await store.readStream(streamOf(ada)));

    expect(registered!.data).toEqual({
      identityId: ada.identityId,
      traits: { email: ada.email, name: { first: ada.first, last: ada.last } },
    });
    expect(session!.metadata.source?.ip).toBe(ada.ip);
    expect(session!.metadata.source?.userAgent).toBe(ada.userAgent);
  });

  it("erases one identity in the erasing append", async () => {
    const metadata: EventMetadata = {
      correlationId: randomUUID(),
      causationId: null,
      actor: { type: "admin", id: "erasure-test" },
      occurredAt: "2025-03-02T09:00:00.000Z",
    };
    await store.append(
      streamOf(ada),
      2,
      [
        {
          eventId: randomUUID(),
          type: "IdentityErased",
          data: { identityId: ada.identityId },
          metadata,
        },
      ],
      { releases: [emailClaim(ada)], destroySubjectKeys: [ada.identityId] },
    );
    keys.evict(ada.identityId);

    const { rows } = await database.pool.query<{ subject_id: string }>(
      "SELECT subject_id FROM personal_data_keys ORDER BY subject_id",
    );
    expect(rows.map((row) => row.subject_id)).toEqual([grace.identityId]);
  });

  it("leaves stored events unchanged", async () => {
    const dumpAfter = await dumpEvents();
    const rowsBefore = dumpBefore.split("\n").filter((line) => line.startsWith("identity-"));

    expect(rowsBefore).toHaveLength(4);
    for (const row of rowsBefore) {
      expect(dumpAfter).toContain(row);
    }
    expect(dumpAfter).toContain("IdentityErased");
    for (const value of [...personalValues(ada), ...personalValues(grace)]) {
      expect(dumpAfter, value).not.toContain(value);
    }
  });

  it("reads the erased identity as erased", async () => {
    // A store with an empty cache, like any other process once its TTL ended.
    const freshCodec = new PersonalDataCodec(
      new PostgresKeyStore({ pool: database.pool, keyring }),
    );
    for (const reader of [codec, freshCodec]) {
      const [registered, session, erased] = await reader.decryptEvents(
        await store.readStream(streamOf(ada)),
      );

      expect(registered!.data).toEqual({ identityId: ada.identityId, traits: ERASED });
      expect(registered!.metadata.source?.ip).toBe(ERASED);
      expect(registered!.metadata.source?.userAgent).toBe(ERASED);
      expect(session!.metadata.source?.ip).toBe(ERASED);
      expect(session!.metadata.source?.userAgent).toBe(ERASED);
      expect(erased!.type).toBe("IdentityErased");
    }
  });

  it("still decrypts the other identity", async () => {
    const [registered, session] = await codec.decryptEvents(
      await store.readStream(streamOf(grace)),
    );

    expect(registered!.data).toEqual({
      identityId: grace.identityId,
      traits: { email: grace.email, name: { first: grace.first, last: grace.last } },
    });
    expect(session!.metadata.source?.ip).toBe(grace.ip);
    expect(session!.metadata.source?.userAgent).toBe(grace.userAgent);
  });

  it("keeps both hash chains valid", async () => {
    expect(await store.verifyStream(streamOf(ada))).toEqual({
      streamId: streamOf(ada),
      valid: true,
      checked: 3,
    });
    expect(await store.verifyStream(streamOf(grace))).toEqual({
      streamId: streamOf(grace),
      valid: true,
      checked: 2,
    });
  });

  it("frees the erased email claim", async () => {
    const newcomer = { ...ada, identityId: randomUUID() };

    await registerAndLogIn(newcomer);

    expect((await store.readStream(streamOf(newcomer))).length).toBe(2);
  });
});
