import { setTimeout as sleep } from "node:timers/promises";
import type pg from "pg";
import type { Logger } from "pino";
import type { EventStore, Position } from "../eventstore/port.ts";
import { applyNextBatch, type BatchContext, type EventDecoder } from "./batch.ts";
import {
  ensureGenerations,
  type GenerationRow,
  loadGenerations,
  promoteGeneration,
  startRebuild,
} from "./generations.ts";
import type { ProjectionDefinition } from "./projection.ts";
import { type ProjectionStatus, readProjectionStatus } from "./status.ts";
import { Wakeups } from "./wakeups.ts";

export interface ProjectionRunnerOptions {
  pool: pg.Pool;
  store: EventStore;
  projections: readonly ProjectionDefinition[];
  logger: Logger;
  decode?: EventDecoder;
  /** Maximum wait between polls when no wake-up arrives, in milliseconds. */
  pollIntervalMs?: number;
}

const maxBackoffMs = 10_000;
const recheckDelaysMs = [10, 20, 40, 80, 160, 320];
const generationCacheMs = 1_000;

/**
 * Runs projections: each generation catches up in batches, then follows new events, woken by
 * the store's append signal and by polling. Several runners may run at once; advisory locks
 * give each generation one owner at a time.
 */
export class ProjectionRunner {
  readonly #options: ProjectionRunnerOptions;
  readonly #byName: Map<string, ProjectionDefinition>;
  readonly #context: BatchContext;
  readonly #wakeups = new Wakeups();
  /** Projections that this process just appended events for, so their next batch has work. */
  readonly #eventsExpected = new Set<string>();
  #running = false;
  /** Projections whose live generation this process applied batches to at its last step. */
  readonly #applying = new Set<string>();
  /** Live checkpoint positions this process has written, by projection name. */
  readonly #livePositions = new Map<string, Position>();
  readonly #progressListeners = new Set<() => void>();
  readonly #generationCache = new Map<string, { rows: GenerationRow[]; loadedAt: number }>();
  #loops: Promise<void>[] = [];
  #stopListening?: () => Promise<void>;

  constructor(options: ProjectionRunnerOptions) {
    this.#options = options;
    this.#byName = new Map(options.projections.map((p) => [p.name, p]));
    this.#context = {
      pool: options.pool,
      store: options.store,
      decode: options.decode ?? (async (events) => events),
      attempts: new Map(),
      known: new Map(),
      prefetched: new Map(),
    };
  }

  /** Creates missing generations and their tables without starting the loops. */
  async prepare(): Promise<void> {
    for (const definition of this.#options.projections) {
      await ensureGenerations(this.#options.pool, this.#options.store, definition);
    }
  }

  async start(): Promise<void> {
    if (this.#running) return;
    await this.prepare();
    this.#running = true;
    this.#stopListening = await this.#options.store.onAppended((types) => this.#wakeAll(types));
    this.#loops = this.#options.projections.map((definition) => this.#loop(definition));
    this.#options.logger.info(
      { projections: this.#options.projections.map((p) => p.name) },
      "projection runner started",
    );
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#wakeAll();
    await Promise.all(this.#loops);
    await this.#stopListening?.();
    this.#options.logger.info("projection runner stopped");
  }

  /**
   * Applies every pending event of every generation, then returns. For tests and tools. Waits
   * up to `busyTimeoutMs` while another process owns a generation.
   */
  async runUntilCaughtUp(name?: string, busyTimeoutMs = 10_000): Promise<void> {
    const definitions = name ? [this.#definition(name)] : this.#options.projections;
    for (const definition of definitions) {
      const deadline = Date.now() + busyTimeoutMs;
      for (;;) {
        const step = await this.#step(definition);
        if (step === "idle") break;
        if (step === "busy") {
          if (Date.now() > deadline) {
            throw new Error(`projection ${definition.name} stayed locked by another process`);
          }
          await sleep(20);
        }
      }
    }
  }

  /** Starts rebuilding a read model into a new generation; returns the generation number. */
  async rebuild(name: string): Promise<number> {
    const generation = await startRebuild(this.#options.pool, this.#definition(name));
    this.#generationCache.delete(name);
    this.#wakeAll();
    return generation;
  }

  async status(): Promise<ProjectionStatus[]> {
    return readProjectionStatus(
      this.#options.pool,
      this.#options.store,
      this.#options.projections.map((p) => p.name),
    );
  }

  /**
   * Waits until the live generation of a projection has applied `position`, so that a client can
   * read what it has just written. Returns false when `timeoutMs` passes first.
   */
  async waitFor(name: string, position: Position, timeoutMs = 2_000): Promise<boolean> {
    const store = this.#options.store;
    const reached = () => {
      const known = this.#livePositions.get(name);
      return known !== undefined && store.comparePositions(known, position) >= 0;
    };
    if (reached()) return true;
    // The loop may sleep because the awaited events are of types it does not read. Woken, it
    // looks past them at once and records the position.
    this.#wakeups.wake(name);

    // Batches applied in this process settle the wait at once. The checkpoint table covers
    // batches applied by another process, and is polled less often while this one applies them.
    const deadline = Date.now() + timeoutMs;
    for (let delay = 25; ; delay = Math.min(delay * 2, 100)) {
      const wait = this.#applying.has(name) ? Math.max(delay, 500) : delay;
      if (await this.#progressWithin(Math.min(wait, deadline - Date.now()), reached)) return true;
      const rows = await loadGenerations(this.#options.pool, name);
      const live = rows.find((row) => row.state === "live");
      if (live && store.comparePositions(live.position, position) >= 0) return true;
      if (Date.now() >= deadline) return false;
    }
  }

  /** Resolves true as soon as `reached` is true after a local batch, or false after `ms`. */
  #progressWithin(ms: number, reached: () => boolean): Promise<boolean> {
    return new Promise((resolve) => {
      const check = () => {
        if (!reached()) return;
        clearTimeout(timer);
        this.#progressListeners.delete(check);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.#progressListeners.delete(check);
        resolve(false);
      }, ms);
      this.#progressListeners.add(check);
    });
  }

  async #loop(definition: ProjectionDefinition): Promise<void> {
    const pollMs = this.#options.pollIntervalMs ?? 1_000;
    let failures = 0;
    // Rechecks start after a wake-up; before the first one the loop simply polls.
    let recheck = recheckDelaysMs.length;
    while (this.#running) {
      let more = false;
      try {
        more = (await this.#step(definition)) === "more";
        failures = 0;
      } catch (error) {
        failures += 1;
        this.#options.logger.error(
          { err: error, projection: definition.name, failures },
          "projection step failed",
        );
      }
      if (!this.#running) break;
      if (more) continue;

      let wait = pollMs;
      if (failures > 0) {
        wait = Math.min(pollMs * 2 ** failures, maxBackoffMs);
      } else if (recheck < recheckDelaysMs.length) {
        // A wake-up that found nothing usually means the new events are still hidden behind an
        // older open transaction, so look again shortly instead of waiting a whole poll.
        wait = Math.min(recheckDelaysMs[recheck]!, pollMs);
        recheck += 1;
      }
      if (await this.#wakeups.sleep(definition.name, wait)) {
        recheck = 0;
        if (definition.batchDelayMs) await sleep(definition.batchDelayMs);
      }
    }
  }

  /**
   * Applies one batch to each active generation. Returns `more` when work is waiting, `busy`
   * when another process owns a generation, and `idle` when every generation has caught up.
   */
  async #step(definition: ProjectionDefinition): Promise<"more" | "busy" | "idle"> {
    const generations = await this.#generationsOf(definition.name);
    const expected = this.#eventsExpected.delete(definition.name);
    let more = false;
    let busy = false;
    for (const row of generations) {
      if (row.state === "retired") continue;
      const outcome = await applyNextBatch(this.#context, definition, row.generation, {
        eventsExpected: expected,
      });
      if (outcome.kind === "failed") {
        this.#options.logger.warn(
          { err: outcome.error, projection: definition.name, generation: row.generation },
          "projection batch failed; retrying",
        );
        throw outcome.error;
      }
      if (outcome.kind === "busy") busy = true;
      if (row.state === "live") {
        if (outcome.kind === "applied") this.#applying.add(definition.name);
        else this.#applying.delete(definition.name);
      }
      if (outcome.kind !== "applied") continue;
      if (row.state === "live") this.#recordProgress(definition.name, outcome.position);
      if (!outcome.caughtUp) more = true;
      if (row.state === "building" && outcome.caughtUp) {
        await this.#promote(definition, row.generation);
        this.#generationCache.delete(definition.name);
        more = true;
      }
    }
    if (more) return "more";
    return busy ? "busy" : "idle";
  }

  async #promote(definition: ProjectionDefinition, generation: number): Promise<void> {
    await promoteGeneration(this.#options.pool, definition, generation);
    this.#options.logger.info(
      { projection: definition.name, generation },
      "rebuilt projection is now live",
    );
  }

  /**
   * Returns a projection's generations, re-read at most once per `generationCacheMs`, so that a
   * rebuild started by another process is seen within that time.
   */
  async #generationsOf(name: string): Promise<GenerationRow[]> {
    const cached = this.#generationCache.get(name);
    if (cached && Date.now() - cached.loadedAt < generationCacheMs) return cached.rows;
    const rows = await loadGenerations(this.#options.pool, name);
    this.#generationCache.set(name, { rows, loadedAt: Date.now() });
    return rows;
  }

  #recordProgress(name: string, position: Position): void {
    const known = this.#livePositions.get(name);
    if (known !== undefined && this.#options.store.comparePositions(known, position) >= 0) return;
    this.#livePositions.set(name, position);
    for (const listener of this.#progressListeners) listener();
  }

  #definition(name: string): ProjectionDefinition {
    const definition = this.#byName.get(name);
    if (!definition) throw new Error(`unknown projection: ${name}`);
    return definition;
  }

  /**
   * Wakes the loops of the projections that read any of `types`, or every loop when the types
   * are unknown, as for appends of another process.
   */
  #wakeAll(types?: readonly string[]): void {
    for (const definition of this.#options.projections) {
      const filter = definition.eventTypes;
      if (types && filter && !types.some((type) => filter.includes(type))) continue;
      if (types) this.#eventsExpected.add(definition.name);
      this.#wakeups.wake(definition.name);
    }
  }
}
