import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NewEvent } from "../../src/eventstore/port.ts";
import { ERASED } from "../../src/personal-data/erased.ts";
import { PersonalDataCodec } from "../../src/personal-data/event-codec.ts";
import type { DataKeyLookup, DataKeyStore } from "../../src/personal-data/key-store.ts";
import { PostgresKeyStore } from "../../src/personal-data/postgres-key-store.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { freshKeyring, rejectionCode, sourceMetadata } from "./fixtures.ts";

let database: TestDatabase;
let keys: PostgresKeyStore;
let codec: PersonalDataCodec;

beforeAll(async () => {
  database = await createTestDatabase("pd_event_codec");
  keys = new PostgresKeyStore({ pool: database.pool, keyring: freshKeyring().keyring });
  codec = new PersonalDataCodec(keys);
});

afterAll(async () => {
  await database.drop();
});

function registered(identityId: string, email: string): NewEvent<Record<string, unknown>> {
  return {
    eventId: randomUUID(),
    type: "IdentityRegistered",
    data: {
      identityId,
      schemaId: "default",
      traits: { email, name: { first: "Ada", last: "Lovelace" } },
      addresses: [{ via: "email", value: email }],
    },
    metadata: sourceMetadata("203.0.113.7", "Mozilla/5.0 (X11; Linux x86_64)"),
  };
}

/** Counts key lookups on the real store, to show that decryption batches them. */
class CountingKeyStore implements DataKeyStore {
  lookups = 0;

  constructor(readonly inner: DataKeyStore) {}

  getOrCreateKey(subjectId: string) {
    return this.inner.getOrCreateKey(subjectId);
  }

  findKeys(subjectIds: readonly string[]): Promise<DataKeyLookup> {
    this.lookups += 1;
    return this.inner.findKeys(subjectIds);
  }
}

describe("event codec", () => {
  it("encrypts listed fields and the source", async () => {
    const identityId = randomUUID();
    const event = registered(identityId, "ada@example.com");
    const encrypted = await codec.encryptEvent(identityId, event, ["traits", "addresses"]);

    expect(encrypted.data.identityId).toBe(identityId);
    expect(encrypted.data.schemaId).toBe("default");
    expect(encrypted.data.traits).toMatch(/^pd1\./);
    expect(encrypted.data.addresses).toMatch(/^pd1\./);
    expect(encrypted.metadata.source?.ip).toMatch(/^pd1\./);
    expect(encrypted.metadata.source?.userAgent).toMatch(/^pd1\./);
    expect(encrypted.metadata.source?.requestId).toBe(event.metadata.source?.requestId);
    expect(JSON.stringify(encrypted)).not.toContain("ada@example.com");
    expect(JSON.stringify(encrypted)).not.toContain("203.0.113.7");
    expect(event.data.traits).toEqual({
      email: "ada@example.com",
      name: { first: "Ada", last: "Lovelace" },
    });
  });

  it("round-trips an event", async () => {
    const identityId = randomUUID();
    const event = registered(identityId, "ada@example.com");
    const encrypted = await codec.encryptEvent(identityId, event, ["traits", "addresses"]);

    expect(await codec.decryptEvent(encrypted)).toEqual(event);
  });

  it("skips absent fields and sources", async () => {
    const identityId = randomUUID();
    const event = registered(identityId, "ada@example.com");
    delete event.metadata.source;
    const encrypted = await codec.encryptEvent(identityId, event, ["traits", "totpSecret"]);

    expect("totpSecret" in encrypted.data).toBe(false);
    expect(encrypted.metadata.source).toBeUndefined();
    expect(await codec.decryptEvent(encrypted)).toEqual(event);
  });

  it("rejects a token moved to another field", async () => {
    const identityId = randomUUID();
    const encrypted = await codec.encryptEvent(identityId, registered(identityId, "a@b.example"), [
      "traits",
      "addresses",
    ]);
    const swapped = {
      ...encrypted,
      data: { ...encrypted.data, traits: encrypted.data.addresses },
    };

    expect(await rejectionCode(codec.decryptEvent(swapped))).toBe("field_authentication_failed");
  });

  it("rejects a token moved to another event type", async () => {
    const identityId = randomUUID();
    const encrypted = await codec.encryptEvent(identityId, registered(identityId, "a@b.example"), [
      "traits",
    ]);

    expect(await rejectionCode(codec.decryptEvent({ ...encrypted, type: "TraitsUpdated" }))).toBe(
      "field_authentication_failed",
    );
  });

  it("rejects plaintext with the reserved prefix", async () => {
    const identityId = randomUUID();
    const inData = registered(identityId, "a@b.example");
    inData.data.schemaId = "pd1.looks.like.ciphertext";
    const inMetadata = registered(identityId, "a@b.example");
    inMetadata.metadata.source!.requestId = "pd1.x";

    expect(await rejectionCode(codec.encryptEvent(identityId, inData, ["traits"]))).toBe(
      "reserved_prefix",
    );
    expect(await rejectionCode(codec.encryptEvent(identityId, inMetadata, ["traits"]))).toBe(
      "reserved_prefix",
    );
  });

  it("keeps a prefixed value inside an encrypted field", async () => {
    const identityId = randomUUID();
    const event = registered(identityId, "pd1.ada@example.com");
    const encrypted = await codec.encryptEvent(identityId, event, ["traits", "addresses"]);

    expect(await codec.decryptEvent(encrypted)).toEqual(event);
  });

  it("rejects nested field names", async () => {
    const identityId = randomUUID();

    await expect(
      codec.encryptEvent(identityId, registered(identityId, "a@b.example"), ["traits.email"]),
    ).rejects.toThrow(RangeError);
  });

  it("batches key lookups across events", async () => {
    const counting = new CountingKeyStore(keys);
    const batching = new PersonalDataCodec(counting);
    const first = randomUUID();
    const second = randomUUID();
    const events = await Promise.all(
      [first, first, second, first].map((id) =>
        batching.encryptEvent(id, registered(id, `${id}@example.com`), ["traits"]),
      ),
    );
    keys.evict(first);
    keys.evict(second);

    const decrypted = await batching.decryptEvents(events);

    expect(counting.lookups).toBe(1);
    expect(decrypted.map((event) => (event.data.traits as { email: string }).email)).toEqual([
      `${first}@example.com`,
      `${first}@example.com`,
      `${second}@example.com`,
      `${first}@example.com`,
    ]);
  });

  it("reads nothing for events without tokens", async () => {
    const counting = new CountingKeyStore(keys);
    const event = registered(randomUUID(), "a@b.example");

    expect(await new PersonalDataCodec(counting).decryptEvents([event])).toEqual([event]);
    expect(counting.lookups).toBe(0);
  });

  it("erases one subject and keeps another", async () => {
    const erased = randomUUID();
    const other = randomUUID();
    const events = [
      await codec.encryptEvent(erased, registered(erased, "erased@example.com"), ["traits"]),
      await codec.encryptEvent(other, registered(other, "other@example.com"), ["traits"]),
    ];

    await keys.destroy(erased);
    const [gone, still] = await codec.decryptEvents(events);

    expect(gone!.data.traits).toBe(ERASED);
    expect(gone!.metadata.source?.ip).toBe(ERASED);
    expect(gone!.metadata.source?.userAgent).toBe(ERASED);
    expect(gone!.data.identityId).toBe(erased);
    expect(still!.data.traits).toEqual({
      email: "other@example.com",
      name: { first: "Ada", last: "Lovelace" },
    });
    expect(still!.metadata.source?.ip).toBe("203.0.113.7");
  });
});
