import { setTimeout as sleep } from "node:timers/promises";

/**
 * Retries `check` until it stops throwing or `timeoutMs` passes, then throws its last error.
 * `$all` readers see an append only once every older transaction in the PostgreSQL cluster has
 * ended, including transactions of other databases, so reads right after an append must wait.
 */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(delay);
    }
  }
}
