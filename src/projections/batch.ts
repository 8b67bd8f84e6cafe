import type pg from "pg";
import type { EventStore, Position, ReadAllPage, RecordedEvent } from "../eventstore/port.ts";
import { inTransaction } from "./generations.ts";
import { type ProjectionDefinition, physicalTableName } from "./projection.ts";

/** Decodes events before a projection applies them, such as decrypting personal fields. */
export type EventDecoder = (events: RecordedEvent[]) => Promise<RecordedEvent[]>;

export type BatchOutcome =
  | { kind: "applied"; count: number; position: Position; caughtUp: boolean }
  | { kind: "busy" }
  | { kind: "retired" }
  | { kind: "failed"; error: unknown };

// Advisory lock class for batch ownership; the second key is a hash of projection and generation.
const batchLockClass = 7_341_003;
const defaultBatchSize = 500;

export interface BatchContext {
  pool: pg.Pool;
  store: EventStore;
  decode: EventDecoder;
  /** Failed attempts per event id, kept by the runner across batches. */
  attempts: Map<string, number>;
  /**
   * Positions up to which this process found nothing left for a generation to apply, keyed by
   * `<projection>:<generation>`. A position here may be ahead of the stored checkpoint when
   * only events of other types followed it.
   */
  known: Map<string, Position>;
  /**
   * The next page of a generation that is catching up, read while the previous page was being
   * applied, keyed by `<projection>:<generation>`.
   */
  prefetched?: Map<string, { after: Position; page: Promise<ReadAllPage> }>;
}

/**
 * Applies the next batch of events to one generation, moving its checkpoint in the same
 * transaction. Another process that owns the generation's lock makes this return `busy`.
 * When the batch fails, the events are retried one by one so that a single bad event is
 * dead-lettered after its retry budget and the rest still apply.
 */
export async function applyNextBatch(
  context: BatchContext,
  definition: ProjectionDefinition,
  generation: number,
  options: { eventsExpected?: boolean } = {},
): Promise<BatchOutcome> {
  const limit = definition.batchSize ?? defaultBatchSize;
  let pending: { events: RecordedEvent[]; from: Position; to: Position } | undefined;
  const knownKey = `${definition.name}:${generation}`;

  // Look before locking: when nothing this projection reads has arrived since the last known
  // position, skip the transaction. The checkpoint then lags behind events of other types,
  // which is harmless, because the next batch reads past them again.
  // Skip the look when this process just appended events of a type the projection reads.
  const known = options.eventsExpected ? undefined : context.known.get(knownKey);
  if (known !== undefined) {
    const peek = await context.store.readAll({
      after: known,
      types: definition.eventTypes,
      limit: 1,
    });
    if (peek.events.length === 0) {
      context.known.set(knownKey, peek.position);
      return { kind: "applied", count: 0, position: peek.position, caughtUp: true };
    }
  }

  try {
    const outcome = await inBatchTransaction(
      context.pool,
      definition.name,
      generation,
      async (tx, from) => {
        const page = await readPage(context, knownKey, from, definition.eventTypes, limit);
        // A full page means more events wait: read the next page while this one is applied.
        if (page.events.length === limit) {
          const next = context.store.readAll({
            after: page.position,
            types: definition.eventTypes,
            limit,
          });
          next.catch(() => undefined);
          context.prefetched?.set(knownKey, { after: page.position, page: next });
        }
        if (page.events.length === 0 && context.store.comparePositions(page.position, from) <= 0) {
          return { kind: "applied", count: 0, position: from, caughtUp: true } as const;
        }

        pending = { events: page.events, from, to: page.position };
        const events = await context.decode(page.events);
        await definition.apply(events, { tx, table: tableNamer(generation) });
        const caughtUp = page.events.length < limit;
        return {
          kind: "applied",
          count: events.length,
          position: page.position,
          caughtUp,
        } as const;
      },
    );
    for (const event of pending?.events ?? []) context.attempts.delete(event.eventId);
    if (outcome.kind === "applied") context.known.set(knownKey, outcome.position);
    return outcome;
  } catch (error) {
    if (!pending || pending.events.length === 0) return { kind: "failed", error };
    return applyOneByOne(context, definition, generation, pending);
  }
}

/** Returns the page after `from`, taking a prefetched one when it starts there. */
async function readPage(
  context: BatchContext,
  key: string,
  from: Position,
  types: readonly string[] | undefined,
  limit: number,
): Promise<ReadAllPage> {
  const prefetched = context.prefetched?.get(key);
  context.prefetched?.delete(key);
  if (prefetched && prefetched.after === from) {
    const page = await prefetched.page.catch(() => undefined);
    if (page) return page;
  }
  return context.store.readAll({ after: from, types, limit });
}

async function applyOneByOne(
  context: BatchContext,
  definition: ProjectionDefinition,
  generation: number,
  batch: { events: RecordedEvent[]; from: Position; to: Position },
): Promise<BatchOutcome> {
  const maxAttempts = definition.maxAttempts ?? 3;
  let applied = 0;

  for (const event of batch.events) {
    const result = await inTransaction(context.pool, async (tx) => {
      const from = await lockCheckpoint(tx, definition.name, generation);
      if (typeof from !== "string") return from;
      if (context.store.comparePositions(from, event.position) >= 0) return "skipped" as const;

      await tx.query("SAVEPOINT apply_event");
      try {
        const [decoded] = await context.decode([event]);
        await definition.apply([decoded!], { tx, table: tableNamer(generation) });
        await moveCheckpoint(tx, definition.name, generation, event.position, 1);
        context.attempts.delete(event.eventId);
        return "applied" as const;
      } catch (error) {
        await tx.query("ROLLBACK TO SAVEPOINT apply_event");
        // A data exception (SQLSTATE class 22, such as text PostgreSQL cannot store) fails the
        // same way on every retry, so it is dead-lettered at once instead of holding back
        // every later event through the retry backoff.
        const attempts = isDataException(error)
          ? maxAttempts
          : (context.attempts.get(event.eventId) ?? 0) + 1;
        context.attempts.set(event.eventId, attempts);
        if (attempts < maxAttempts) {
          await recordError(tx, definition.name, generation, error);
          return { kind: "failed", error } as const;
        }
        await deadLetter(tx, definition.name, generation, event, attempts, error);
        await moveCheckpoint(tx, definition.name, generation, event.position, 0);
        context.attempts.delete(event.eventId);
        return "dead_lettered" as const;
      }
    });
    if (typeof result !== "string") return result;
    if (result === "applied") applied += 1;
  }

  // Events of other types may follow the last event up to the page's position.
  await inTransaction(context.pool, async (tx) => {
    const from = await lockCheckpoint(tx, definition.name, generation);
    if (typeof from === "string" && context.store.comparePositions(from, batch.to) < 0) {
      await moveCheckpoint(tx, definition.name, generation, batch.to, 0);
    }
  });
  return { kind: "applied", count: applied, position: batch.to, caughtUp: false };
}

/**
 * Runs a batch in a transaction that holds the generation's advisory lock and its checkpoint
 * row, and moves the checkpoint when `work` applied events. Statements go in pairs where a
 * single round trip can carry them (BEGIN with the lock, the checkpoint update with COMMIT),
 * because every event appended wakes each interested projection for one such batch. Values in
 * those statements are escaped literals: multi-statement queries cannot take parameters.
 */
async function inBatchTransaction(
  pool: pg.Pool,
  projection: string,
  generation: number,
  work: (tx: pg.PoolClient, from: Position) => Promise<Extract<BatchOutcome, { kind: "applied" }>>,
): Promise<BatchOutcome> {
  const tx = await pool.connect();
  try {
    const name = tx.escapeLiteral(projection);
    const lockKey = tx.escapeLiteral(`${projection}:${generation}`);
    const results = (await tx.query(
      `BEGIN;
       SELECT position, state FROM projection_checkpoints
       WHERE projection = ${name} AND generation = ${Number(generation)}
         AND pg_try_advisory_xact_lock(${batchLockClass}, hashtext(${lockKey}))
       FOR UPDATE`,
    )) as unknown as pg.QueryResult<{ position: string; state: string }>[];
    const row = results[1]?.rows[0];
    if (!row || row.state === "retired") {
      await tx.query("ROLLBACK");
      tx.release();
      return row ? { kind: "retired" } : { kind: "busy" };
    }

    const outcome = await work(tx, row.position);
    if (outcome.count === 0 && outcome.position === row.position) {
      await tx.query("COMMIT");
    } else {
      await tx.query(
        `UPDATE projection_checkpoints
         SET position = ${tx.escapeLiteral(outcome.position)},
           events_applied = events_applied + ${Number(outcome.count)},
           last_error = NULL, updated_at = now()
         WHERE projection = ${name} AND generation = ${Number(generation)};
         COMMIT`,
      );
    }
    tx.release();
    return outcome;
  } catch (error) {
    await tx.query("ROLLBACK").catch(() => undefined);
    tx.release();
    throw error;
  }
}

async function lockCheckpoint(
  tx: pg.PoolClient,
  projection: string,
  generation: number,
): Promise<Position | { kind: "busy" } | { kind: "retired" }> {
  const { rows: lock } = await tx.query<{ locked: boolean }>(
    "SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS locked",
    [batchLockClass, `${projection}:${generation}`],
  );
  if (!lock[0]!.locked) return { kind: "busy" };

  const { rows } = await tx.query<{ position: string; state: string }>(
    "SELECT position, state FROM projection_checkpoints WHERE projection = $1 AND generation = $2 FOR UPDATE",
    [projection, generation],
  );
  const row = rows[0];
  if (!row || row.state === "retired") return { kind: "retired" };
  return row.position;
}

async function moveCheckpoint(
  tx: pg.PoolClient,
  projection: string,
  generation: number,
  position: Position,
  applied: number,
): Promise<void> {
  await tx.query(
    `UPDATE projection_checkpoints
     SET position = $3, events_applied = events_applied + $4, last_error = NULL, updated_at = now()
     WHERE projection = $1 AND generation = $2`,
    [projection, generation, position, applied],
  );
}

async function recordError(
  tx: pg.PoolClient,
  projection: string,
  generation: number,
  error: unknown,
): Promise<void> {
  await tx.query(
    "UPDATE projection_checkpoints SET last_error = $3, updated_at = now() WHERE projection = $1 AND generation = $2",
    [projection, generation, describeError(error)],
  );
}

async function deadLetter(
  tx: pg.PoolClient,
  projection: string,
  generation: number,
  event: RecordedEvent,
  attempts: number,
  error: unknown,
): Promise<void> {
  await tx.query(
    `INSERT INTO projection_dead_letters
       (projection, generation, event_id, stream_id, stream_version, event_type, position, attempts, error)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (projection, generation, event_id) DO UPDATE
       SET attempts = EXCLUDED.attempts, error = EXCLUDED.error, failed_at = now()`,
    [
      projection,
      generation,
      event.eventId,
      event.streamId,
      event.streamVersion,
      event.type,
      event.position,
      attempts,
      describeError(error),
    ],
  );
}

function tableNamer(generation: number) {
  return (name: string) => physicalTableName(name, generation);
}

function isDataException(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && code.startsWith("22");
}

function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.slice(0, 1000);
}
