import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresEventStore } from "../../src/eventstore/postgres/postgres-event-store.ts";
import { FieldCipher } from "../../src/personal-data/field-cipher.ts";
import { createMasterKeyring, masterKeyId } from "../../src/personal-data/master-keyring.ts";
import { PostgresKeyStore } from "../../src/personal-data/postgres-key-store.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { freshKeyring, rejectionCode, sourceMetadata } from "./fixtures.ts";

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase("pd_key_store");
});

afterAll(async () => {
  await database.drop();
});

async function keyRowCount(subjectId: string): Promise<number> {
  const { rows } = await database.pool.query<{ count: string }>(
    "SELECT count(*) FROM personal_data_keys WHERE subject_id = $1",
    [subjectId],
  );
  return Number(rows[0]!.count);
}

function exportKey(key: { export(): Buffer }): string {
  return key.export().toString("hex");
}

describe("postgres key store", () => {
  it("creates one key under concurrent first use", async () => {
    const { keyring } = freshKeyring();
    // Separate stores share no cache, like separate processes.
    const stores = Array.from(
      { length: 8 },
      () => new PostgresKeyStore({ pool: database.pool, keyring }),
    );
    const subjectId = randomUUID();

    const keys = await Promise.all(
      stores.flatMap((store) => [store.getOrCreateKey(subjectId), store.getOrCreateKey(subjectId)]),
    );

    expect(new Set(keys.map(exportKey)).size).toBe(1);
    expect(await keyRowCount(subjectId)).toBe(1);
  });

  it("returns the stored key after restart", async () => {
    const { keyring } = freshKeyring();
    const subjectId = randomUUID();
    const created = await new PostgresKeyStore({ pool: database.pool, keyring }).getOrCreateKey(
      subjectId,
    );
    const reloaded = await new PostgresKeyStore({ pool: database.pool, keyring }).findKey(
      subjectId,
    );

    expect(reloaded).toBeDefined();
    expect(exportKey(reloaded!)).toBe(exportKey(created));
  });

  it("stores the key wrapped, never in plaintext", async () => {
    const { keyring } = freshKeyring();
    const subjectId = randomUUID();
    const key = await new PostgresKeyStore({ pool: database.pool, keyring }).getOrCreateKey(
      subjectId,
    );
    const { rows } = await database.pool.query<{ wrapped_key: Buffer; master_key_id: string }>(
      "SELECT wrapped_key, master_key_id FROM personal_data_keys WHERE subject_id = $1",
      [subjectId],
    );

    expect(rows[0]!.master_key_id).toBe(keyring.currentId);
    expect(rows[0]!.wrapped_key.includes(key.export())).toBe(false);
  });

  it("evicts the cached key on destroy", async () => {
    const { keyring } = freshKeyring();
    const store = new PostgresKeyStore({ pool: database.pool, keyring });
    const subjectId = randomUUID();
    await store.getOrCreateKey(subjectId);
    expect(await store.findKey(subjectId)).toBeDefined();

    expect(await store.destroy(subjectId)).toBe(true);

    expect(await store.findKey(subjectId)).toBeUndefined();
    expect(await keyRowCount(subjectId)).toBe(0);
    expect(await store.destroy(subjectId)).toBe(false);
  });

  it("serves a key deleted elsewhere until evicted", async () => {
    const { keyring } = freshKeyring();
    const store = new PostgresKeyStore({ pool: database.pool, keyring });
    const subjectId = randomUUID();
    await store.getOrCreateKey(subjectId);

    await database.pool.query("DELETE FROM personal_data_keys WHERE subject_id = $1", [subjectId]);
    expect(await store.findKey(subjectId)).toBeDefined();

    store.evict(subjectId);
    expect(await store.findKey(subjectId)).toBeUndefined();
  });

  it("drops cached keys after the TTL", async () => {
    const { keyring } = freshKeyring();
    let now = 1_000_000;
    const store = new PostgresKeyStore({
      pool: database.pool,
      keyring,
      cacheTtlMs: 30_000,
      now: () => now,
    });
    const subjectId = randomUUID();
    await store.getOrCreateKey(subjectId);
    await database.pool.query("DELETE FROM personal_data_keys WHERE subject_id = $1", [subjectId]);

    now += 29_999;
    expect(await store.findKey(subjectId)).toBeDefined();
    now += 1;
    expect(await store.findKey(subjectId)).toBeUndefined();
  });

  it("separates erased from unknown subjects", async () => {
    const { keyring } = freshKeyring();
    const store = new PostgresKeyStore({ pool: database.pool, keyring });
    const active = randomUUID();
    const erased = randomUUID();
    const unknown = randomUUID();
    await store.getOrCreateKey(active);
    await store.getOrCreateKey(erased);
    await store.destroy(erased);

    const lookup = await store.findKeys([active, erased, unknown]);

    expect([...lookup.keys.keys()]).toEqual([active]);
    expect([...lookup.erased]).toEqual([erased]);
  });

  it("creates no new key after erasure", async () => {
    const { keyring } = freshKeyring();
    const store = new PostgresKeyStore({ pool: database.pool, keyring });
    const subjectId = randomUUID();
    await store.getOrCreateKey(subjectId);
    await store.destroy(subjectId);

    expect(await rejectionCode(store.getOrCreateKey(subjectId))).toBe("subject_erased");
    const otherProcess = new PostgresKeyStore({ pool: database.pool, keyring });
    expect(await rejectionCode(otherProcess.getOrCreateKey(subjectId))).toBe("subject_erased");
    expect(await keyRowCount(subjectId)).toBe(0);
  });

  it("records erasure by an event store append", async () => {
    const { keyring } = freshKeyring();
    const store = new PostgresKeyStore({ pool: database.pool, keyring });
    const events = new PostgresEventStore({ pool: database.pool });
    const subjectId = randomUUID();
    await store.getOrCreateKey(subjectId);

    await events.append(
      `identity-${subjectId}`,
      "any",
      [
        {
          eventId: randomUUID(),
          type: "IdentityErased",
          data: { identityId: subjectId },
          metadata: sourceMetadata("127.0.0.1", "vitest"),
        },
      ],
      { destroySubjectKeys: [subjectId] },
    );
    store.evict(subjectId);

    expect((await store.findKeys([subjectId])).erased.has(subjectId)).toBe(true);
    expect(await rejectionCode(store.getOrCreateKey(subjectId))).toBe("subject_erased");
  });

  it("rejects an invalid subject id", async () => {
    const { keyring } = freshKeyring();
    const store = new PostgresKeyStore({ pool: database.pool, keyring });

    expect(await rejectionCode(store.getOrCreateKey("a.b"))).toBe("invalid_subject_id");
    expect(await rejectionCode(store.getOrCreateKey(""))).toBe("invalid_subject_id");
  });

  it("rejects a key wrapped under an unknown master key", async () => {
    const { keyring } = freshKeyring();
    const subjectId = randomUUID();
    await new PostgresKeyStore({ pool: database.pool, keyring }).getOrCreateKey(subjectId);
    const stranger = new PostgresKeyStore({ pool: database.pool, keyring: freshKeyring().keyring });

    expect(await rejectionCode(stranger.findKeys([subjectId]))).toBe("unknown_master_key");
  });
});

describe("master key rotation", () => {
  it("re-wraps every key under the new master key", async () => {
    const rotation = await createTestDatabase("pd_rotation");
    try {
      const oldMasterKey = randomBytes(32);
      const newMasterKey = randomBytes(32);
      const oldStore = new PostgresKeyStore({
        pool: rotation.pool,
        keyring: createMasterKeyring({ current: oldMasterKey }),
      });
      const subjects = Array.from({ length: 7 }, () => randomUUID());
      const tokens = await Promise.all(
        subjects.map((subjectId) =>
          new FieldCipher(oldStore).encryptField(subjectId, "IdentityRegistered", "data.traits", {
            email: `${subjectId}@example.com`,
          }),
        ),
      );

      const before = await rotation.pool.query<{ master_key_id: string }>(
        "SELECT DISTINCT master_key_id FROM personal_data_keys",
      );
      expect(before.rows.map((row) => row.master_key_id)).toEqual([masterKeyId(oldMasterKey)]);

      const rotating = new PostgresKeyStore({
        pool: rotation.pool,
        keyring: createMasterKeyring({ current: newMasterKey, previous: [oldMasterKey] }),
      });
      expect(await rotating.rotateMasterKey({ batchSize: 3 })).toBe(7);
      expect(await rotating.rotateMasterKey({ batchSize: 3 })).toBe(0);

      const newOnly = createMasterKeyring({ current: newMasterKey });
      const { rows } = await rotation.pool.query<{ master_key_id: string }>(
        "SELECT DISTINCT master_key_id FROM personal_data_keys",
      );
      expect(rows.map((row) => row.master_key_id)).toEqual([newOnly.currentId]);

      const cipher = new FieldCipher(
        new PostgresKeyStore({ pool: rotation.pool, keyring: newOnly }),
      );
      for (const [index, subjectId] of subjects.entries()) {
        expect(
          await cipher.decryptField("IdentityRegistered", "data.traits", tokens[index]!),
        ).toEqual({
          email: `${subjectId}@example.com`,
        });
      }
    } finally {
      await rotation.drop();
    }
  });

  it("stops on a key under an unknown master key", async () => {
    const rotation = await createTestDatabase("pd_rotation_unknown");
    try {
      const { keyring } = freshKeyring();
      await new PostgresKeyStore({ pool: rotation.pool, keyring }).getOrCreateKey(randomUUID());
      const unrelated = new PostgresKeyStore({
        pool: rotation.pool,
        keyring: freshKeyring().keyring,
      });

      expect(await rejectionCode(unrelated.rotateMasterKey())).toBe("unknown_master_key");
    } finally {
      await rotation.drop();
    }
  });
});
