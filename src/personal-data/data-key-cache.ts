import type { KeyObject } from "node:crypto";

export interface DataKeyCacheOptions {
  /** Lifetime of a cached key in milliseconds. 0 disables the cache. */
  ttlMs: number;
  /** Maximum number of cached keys. When the cache is full, the oldest entry goes first. */
  maxEntries: number;
  /** Clock in milliseconds, replaceable in tests. */
  now: () => number;
}

/**
 * Unwrapped data keys of this process, each served until its TTL ends or it is evicted.
 *
 * A load that started before an eviction must not put the evicted key back, so `set` takes the
 * generation read before the load and drops the key when any eviction happened in between.
 */
export class DataKeyCache {
  readonly #entries = new Map<string, { key: KeyObject; expiresAt: number }>();
  readonly #options: DataKeyCacheOptions;
  #generation = 0;

  constructor(options: DataKeyCacheOptions) {
    this.#options = options;
  }

  get(subjectId: string): KeyObject | undefined {
    const entry = this.#entries.get(subjectId);
    if (!entry) return undefined;

    if (entry.expiresAt <= this.#options.now()) {
      this.#entries.delete(subjectId);
      return undefined;
    }
    return entry.key;
  }

  /** Returns the value to pass to `set` for a load that starts now. */
  generation(): number {
    return this.#generation;
  }

  set(subjectId: string, key: KeyObject, loadGeneration: number): void {
    if (this.#options.ttlMs <= 0 || loadGeneration !== this.#generation) return;

    this.#entries.delete(subjectId);
    if (this.#entries.size >= this.#options.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(subjectId, { key, expiresAt: this.#options.now() + this.#options.ttlMs });
  }

  evict(subjectId: string): void {
    this.#generation += 1;
    this.#entries.delete(subjectId);
  }
}
