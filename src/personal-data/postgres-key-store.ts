import { createSecretKey, type KeyObject, randomBytes } from "node:crypto";
import type pg from "pg";
import { DataKeyCache } from "./data-key-cache.ts";
import { PersonalDataError } from "./errors.ts";
import type { DataKeyLookup, DataKeyStore } from "./key-store.ts";
import { type MasterKeyring, unwrapDataKey, wrapDataKey } from "./master-keyring.ts";
import { checkSubjectId } from "./subject-id.ts";

const dataKeyLength = 32;
const defaultCacheTtlMs = 30_000;
const defaultCacheMaxEntries = 10_000;
const defaultRotationBatchSize = 500;

interface KeyRow {
  subject_id: string;
  wrapped_key: Buffer;
  master_key_id: string;
}

export interface PostgresKeyStoreOptions {
  pool: pg.Pool;
  keyring: MasterKeyring;
  /** Lifetime of a cached unwrapped key, in milliseconds. 0 disables the cache. */
  cacheTtlMs?: number;
  /** Maximum number of unwrapped keys held in memory. */
  cacheMaxEntries?: number;
  /** Clock in milliseconds for the cache, replaceable in tests. */
  now?: () => number;
}

export interface RotateMasterKeyOptions {
  /** Keys read and re-wrapped per round trip. */
  batchSize?: number;
}

/**
 * Data keys in `personal_data_keys`, wrapped under the keyring's master key, with a short-lived
 * cache of unwrapped keys.
 *
 * NOTE: eviction reaches only this process. After a key is destroyed, other processes keep
 * serving their cached copy until its TTL ends (30 seconds by default), so they can still decrypt
 * that subject's fields for that long.
 */
export class PostgresKeyStore implements DataKeyStore {
  readonly #pool: pg.Pool;
  readonly #keyring: MasterKeyring;
  readonly #cache: DataKeyCache;

  constructor(options: PostgresKeyStoreOptions) {
    const ttlMs = options.cacheTtlMs ?? defaultCacheTtlMs;
    const maxEntries = options.cacheMaxEntries ?? defaultCacheMaxEntries;
    if (!Number.isFinite(ttlMs) || ttlMs < 0) {
      throw new RangeError(`cacheTtlMs must be a non-negative number of milliseconds: ${ttlMs}`);
    }
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`cacheMaxEntries must be a positive integer: ${maxEntries}`);
    }

    this.#pool = options.pool;
    this.#keyring = options.keyring;
    this.#cache = new DataKeyCache({ ttlMs, maxEntries, now: options.now ?? Date.now });
  }

  async getOrCreateKey(subjectId: string): Promise<KeyObject> {
    checkSubjectId(subjectId);
    const cached = this.#cache.get(subjectId);
    if (cached) return cached;

    const generation = this.#cache.generation();
    const existing = await this.#loadKey(subjectId);
    if (existing) {
      this.#cache.set(subjectId, existing, generation);
      return existing;
    }

    const created = await this.#createKey(subjectId);
    this.#cache.set(subjectId, created, generation);
    return created;
  }

  /** Returns the subject's data key, or undefined when it was never created or is destroyed. */
  async findKey(subjectId: string): Promise<KeyObject | undefined> {
    return (await this.findKeys([subjectId])).keys.get(subjectId);
  }

  async findKeys(subjectIds: readonly string[]): Promise<DataKeyLookup> {
    const lookup: DataKeyLookup = { keys: new Map(), erased: new Set() };
    const missing: string[] = [];
    for (const subjectId of new Set(subjectIds)) {
      const cached = this.#cache.get(subjectId);
      if (cached) lookup.keys.set(subjectId, cached);
      else missing.push(subjectId);
    }
    if (missing.length === 0) return lookup;

    const generation = this.#cache.generation();
    const { rows } = await this.#pool.query<
      Partial<KeyRow> & { subject_id: string; erased: boolean }
    >(
      `SELECT s.subject_id, k.wrapped_key, k.master_key_id, e.subject_id IS NOT NULL AS erased
       FROM unnest($1::text[]) AS s(subject_id)
       LEFT JOIN personal_data_keys k ON k.subject_id = s.subject_id
       LEFT JOIN erased_subjects e ON e.subject_id = s.subject_id`,
      [missing],
    );
    for (const row of rows) {
      if (row.wrapped_key && row.master_key_id) {
        const key = this.#unwrap(row as KeyRow);
        this.#cache.set(row.subject_id, key, generation);
        lookup.keys.set(row.subject_id, key);
      } else if (row.erased) {
        lookup.erased.add(row.subject_id);
      }
    }
    return lookup;
  }

  /**
   * Deletes the subject's data key, which erases every field encrypted under it, and evicts it
   * from this process's cache. Returns whether a key existed. Erasing an identity should instead
   * pass `destroySubjectKeys` to the event store's append and then call `evict`.
   */
  async destroy(subjectId: string): Promise<boolean> {
    this.#cache.evict(subjectId);
    const { rowCount } = await this.#pool.query(
      "DELETE FROM personal_data_keys WHERE subject_id = $1",
      [subjectId],
    );
    this.#cache.evict(subjectId);
    return (rowCount ?? 0) > 0;
  }

  /** Drops the subject's key from this process's cache, so the next read goes to the database. */
  evict(subjectId: string): void {
    this.#cache.evict(subjectId);
  }

  /**
   * Re-wraps every data key that is not yet under the current master key, in batches, and
   * returns how many it re-wrapped. Raises `unknown_master_key` when a key's master key is
   * missing from the keyring. Safe to run again after a failure or from two processes at once,
   * because a row is only updated while it still has the master key id that was read.
   */
  async rotateMasterKey(options: RotateMasterKeyOptions = {}): Promise<number> {
    const batchSize = options.batchSize ?? defaultRotationBatchSize;
    if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
      throw new RangeError(`batchSize must be a positive integer: ${batchSize}`);
    }

    let rewrapped = 0;
    let after = "";
    for (;;) {
      const { rows } = await this.#pool.query<KeyRow>(
        `SELECT subject_id, wrapped_key, master_key_id FROM personal_data_keys
         WHERE master_key_id <> $1 AND subject_id > $2
         ORDER BY subject_id LIMIT $3`,
        [this.#keyring.currentId, after, batchSize],
      );
      if (rows.length === 0) return rewrapped;

      rewrapped += await this.#rewrapBatch(rows);
      after = rows.at(-1)!.subject_id;
      if (rows.length < batchSize) return rewrapped;
    }
  }

  async #rewrapBatch(rows: readonly KeyRow[]): Promise<number> {
    const wrappedKeys = rows.map((row) => {
      const dataKey = unwrapDataKey(this.#keyring, row.subject_id, {
        wrappedKey: row.wrapped_key,
        masterKeyId: row.master_key_id,
      });
      return wrapDataKey(this.#keyring, row.subject_id, dataKey).wrappedKey;
    });

    const { rowCount } = await this.#pool.query(
      `UPDATE personal_data_keys k
       SET wrapped_key = u.wrapped_key, master_key_id = $4
       FROM unnest($1::text[], $2::bytea[], $3::text[])
         AS u(subject_id, wrapped_key, old_master_key_id)
       WHERE k.subject_id = u.subject_id AND k.master_key_id = u.old_master_key_id`,
      [
        rows.map((row) => row.subject_id),
        wrappedKeys,
        rows.map((row) => row.master_key_id),
        this.#keyring.currentId,
      ],
    );
    return rowCount ?? 0;
  }

  async #loadKey(subjectId: string): Promise<KeyObject | undefined> {
    const { rows } = await this.#pool.query<KeyRow>(
      "SELECT subject_id, wrapped_key, master_key_id FROM personal_data_keys WHERE subject_id = $1",
      [subjectId],
    );
    return rows[0] ? this.#unwrap(rows[0]) : undefined;
  }

  // Two processes may create the first key of one subject at once. Both insert with ON CONFLICT
  // DO NOTHING, which waits for the other insert to commit, and the loser reads the winner's key.
  async #createKey(subjectId: string): Promise<KeyObject> {
    const dataKey = randomBytes(dataKeyLength);
    const wrapped = wrapDataKey(this.#keyring, subjectId, dataKey);
    const { rowCount } = await this.#pool.query(
      `INSERT INTO personal_data_keys (subject_id, wrapped_key, master_key_id)
       SELECT $1, $2, $3
       WHERE NOT EXISTS (SELECT 1 FROM erased_subjects e WHERE e.subject_id = $1)
       ON CONFLICT (subject_id) DO NOTHING`,
      [subjectId, wrapped.wrappedKey, wrapped.masterKeyId],
    );
    if (rowCount === 1) return createSecretKey(dataKey);

    // No row here means the insert was skipped for an erased subject, or the winner's key was
    // destroyed in between. Both cases leave the subject in erased_subjects.
    const winner = await this.#loadKey(subjectId);
    if (winner) return winner;
    throw new PersonalDataError(
      "subject_erased",
      `subject ${subjectId} was erased, so no new data key is created for it`,
    );
  }

  #unwrap(row: KeyRow): KeyObject {
    const dataKey = unwrapDataKey(this.#keyring, row.subject_id, {
      wrappedKey: row.wrapped_key,
      masterKeyId: row.master_key_id,
    });
    return createSecretKey(dataKey);
  }
}
