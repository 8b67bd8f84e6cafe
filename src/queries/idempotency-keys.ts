import type pg from "pg";

/** Outcome of claiming an idempotency key for a request. */
export type IdempotencyClaim =
  /** The key is new (or its old record expired): run the request, then `complete` or `release`. */
  | { kind: "claimed" }
  /** The same request ran before; send its stored response. */
  | { kind: "replay"; status: number; response: unknown }
  /** The key was used for a different request. */
  | { kind: "mismatch" }
  /** The same request is still running elsewhere. */
  | { kind: "in_progress" };

// A pending record has status 0 until its request finishes.
const pendingStatus = 0;

export interface IdempotencyKeysOptions {
  /** How long a stored response is replayed, in seconds; 24 hours when omitted. */
  retentionSeconds?: number;
  /**
   * After how long a pending record counts as abandoned, because its process died before it
   * finished; 60 seconds when omitted. A request that takes longer can run twice.
   */
  abandonedAfterSeconds?: number;
}

/** Stored responses of requests sent with an `Idempotency-Key`, in `idempotency_keys`. */
export class IdempotencyKeys {
  readonly #pool: pg.Pool;
  readonly #retentionSeconds: number;
  readonly #abandonedAfterSeconds: number;

  constructor(pool: pg.Pool, options: IdempotencyKeysOptions = {}) {
    this.#pool = pool;
    this.#retentionSeconds = options.retentionSeconds ?? 24 * 3600;
    this.#abandonedAfterSeconds = options.abandonedAfterSeconds ?? 60;
  }

  /**
   * Claims `keyHash` for the request whose hash is `requestHash` with a pending record, unless
   * a live record already has the key. One INSERT decides between concurrent requests.
   */
  async claim(keyHash: string, requestHash: string): Promise<IdempotencyClaim> {
    // Two rounds: the record found by the INSERT may expire and vanish before the SELECT.
    for (let round = 0; round < 2; round += 1) {
      const inserted = await this.#pool.query(
        `INSERT INTO idempotency_keys (key_hash, request_hash, status, response)
         VALUES ($1, $2, $3, 'null')
         ON CONFLICT (key_hash) DO UPDATE
           SET request_hash = EXCLUDED.request_hash, status = EXCLUDED.status,
               response = EXCLUDED.response, created_at = now()
           WHERE idempotency_keys.created_at < now() - make_interval(secs => $4)
              OR (idempotency_keys.status = $3
                  AND idempotency_keys.created_at < now() - make_interval(secs => $5))
         RETURNING key_hash`,
        [keyHash, requestHash, pendingStatus, this.#retentionSeconds, this.#abandonedAfterSeconds],
      );
      if (inserted.rowCount === 1) return { kind: "claimed" };

      const { rows } = await this.#pool.query<{
        request_hash: string;
        status: number;
        response: unknown;
      }>("SELECT request_hash, status, response FROM idempotency_keys WHERE key_hash = $1", [
        keyHash,
      ]);
      const row = rows[0];
      if (!row) continue;
      if (row.request_hash !== requestHash) return { kind: "mismatch" };
      if (row.status === pendingStatus) return { kind: "in_progress" };
      return { kind: "replay", status: row.status, response: row.response };
    }
    return { kind: "in_progress" };
  }

  /** Stores the response of a claimed request, which later repeats receive. */
  async complete(keyHash: string, status: number, response: unknown): Promise<void> {
    await this.#pool.query(
      "UPDATE idempotency_keys SET status = $2, response = $3 WHERE key_hash = $1",
      [keyHash, status, JSON.stringify(response)],
    );
  }

  /** Drops a pending claim after a fault, so the client can retry with the same key. */
  async release(keyHash: string): Promise<void> {
    await this.#pool.query("DELETE FROM idempotency_keys WHERE key_hash = $1 AND status = $2", [
      keyHash,
      pendingStatus,
    ]);
  }
}
