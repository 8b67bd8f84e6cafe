import type { Registrar } from "../../app/registrar.ts";
import type { CreateIdentity } from "../../domain/identity/index.ts";
import type { IdentityPatch } from "./identities-batch-body.ts";
import { buildCreateIdentityCommand } from "./identities-create.ts";

/**
 * Maximum number of batch entries prepared at once. A plaintext password is hashed with argon2id
 * on libuv's thread pool, which has 4 threads by default, and each hash allocates its memory
 * cost (19 MiB at the default parameters) until it finishes. More at once would only queue there
 * and delay the logins of other requests.
 */
export const maxConcurrentPreparations = 4;

/** A batch entry's command, its 4xx or 5xx error, or `skipped` after the batch stopped. */
export type PreparedEntry =
  | { kind: "ready"; command: CreateIdentity }
  | { kind: "failed"; error: unknown }
  | { kind: "skipped" };

/** Preparations of a batch's entries, in request order, and a switch to skip the rest. */
export interface BatchPreparation {
  entries: Promise<PreparedEntry>[];
  /** Skips the entries whose preparation has not started yet. */
  stop(): void;
}

/**
 * Starts building the `CreateIdentity` command of every entry, at most
 * `maxConcurrentPreparations` at a time and in request order, so that the caller can run the
 * first commands while later passwords are still being hashed. The promises never reject,
 * because a failure is returned as a `failed` entry.
 */
export function prepareBatch(
  registrar: Registrar,
  patches: readonly IdentityPatch[],
): BatchPreparation {
  const limit = createConcurrencyLimit(maxConcurrentPreparations);
  let stopped = false;
  const entries = patches.map((patch) =>
    limit(async (): Promise<PreparedEntry> => {
      if (stopped) return { kind: "skipped" };
      try {
        return {
          kind: "ready",
          command: await buildCreateIdentityCommand(registrar, patch.create),
        };
      } catch (error) {
        return { kind: "failed", error };
      }
    }),
  );
  return {
    entries,
    stop() {
      stopped = true;
    },
  };
}

/** Returns a function that runs tasks with at most `max` running at once, first come first run. */
function createConcurrencyLimit(max: number) {
  let running = 0;
  const waiting: (() => void)[] = [];

  return async function runLimited<T>(task: () => Promise<T>): Promise<T> {
    if (running < max) running += 1;
    else await new Promise<void>((resolve) => waiting.push(resolve));

    try {
      return await task();
    } finally {
      // A finished task hands its slot to the next waiting one, so `running` stays the same.
      const next = waiting.shift();
      if (next) next();
      else running -= 1;
    }
  };
}
