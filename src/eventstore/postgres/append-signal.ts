import { randomUUID } from "node:crypto";
import type pg from "pg";

const notifyChannel = "registrar_events";

export type AppendListener = (types?: readonly string[]) => void;

/**
 * Wake-up hints for readers after appends. Listeners in this process are called at once with
 * the appended types. Other processes get a PostgreSQL NOTIFY after the append, at most once
 * per `intervalMs`. A NOTIFY inside the append would hold PostgreSQL's global notify lock
 * through each commit and serialise all writers, and one per append would double the commits.
 * Listeners also poll, so a lost hint only delays them.
 */
export class AppendSignal {
  readonly #pool: pg.Pool;
  readonly #intervalMs: number;
  readonly #localListeners = new Set<AppendListener>();
  /** Payload of this process's notifications, so that it can ignore its own. */
  readonly #instanceId = randomUUID();
  #scheduled = false;
  #lastNotifyAt = 0;

  constructor(pool: pg.Pool, intervalMs: number) {
    this.#pool = pool;
    this.#intervalMs = intervalMs;
  }

  /** Signals an append of events of `types`. */
  appended(types: readonly string[]): void {
    for (const listener of this.#localListeners) listener(types);
    if (this.#scheduled) return;

    this.#scheduled = true;
    const wait = Math.max(0, this.#lastNotifyAt + this.#intervalMs - Date.now());
    setTimeout(() => {
      this.#scheduled = false;
      this.#lastNotifyAt = Date.now();
      this.#pool
        .query("SELECT pg_notify($1, $2)", [notifyChannel, this.#instanceId])
        .catch(() => undefined);
    }, wait).unref();
  }

  /** Calls `listener` on appends of this process and of others. Returns a function to stop. */
  async listen(listener: AppendListener): Promise<() => Promise<void>> {
    const client = await this.#pool.connect();
    const onNotification = (message: pg.Notification) => {
      // This process's own appends have woken the listener already.
      if (message.channel === notifyChannel && message.payload !== this.#instanceId) listener();
    };
    client.on("notification", onNotification);
    await client.query(`LISTEN ${notifyChannel}`);
    this.#localListeners.add(listener);

    return async () => {
      this.#localListeners.delete(listener);
      client.off("notification", onNotification);
      try {
        await client.query(`UNLISTEN ${notifyChannel}`);
        client.release();
      } catch (error) {
        client.release(error as Error);
      }
    };
  }
}
