import type pg from "pg";
import { eventContentDigest } from "../canonical-json.ts";
import { validateAppend } from "../envelope.ts";
import {
  ClaimConflictError,
  EventIdConflictError,
  InvalidEventError,
  WrongExpectedVersionError,
} from "../errors.ts";
import type {
  AppendOptions,
  AppendResult,
  ChainVerification,
  EventStore,
  ExpectedVersion,
  NewEvent,
  Position,
  ReadAllOptions,
  ReadAllPage,
  ReadStreamOptions,
  RecordedEvent,
} from "../port.ts";
import { noUpcasters, type UpcasterRegistry } from "../upcasters.ts";
import { type AppendListener, AppendSignal } from "./append-signal.ts";
import { comparePostgresPositions, formatPosition, parsePosition } from "./position.ts";
import { findRetriedAppend } from "./retried-append.ts";
import {
  appendSingle,
  currentVersion,
  type SingleAppendRow,
  type StoredEvent,
} from "./single-append.ts";
import { verifyPostgresStream } from "./verify-stream.ts";

const defaultReadLimit = 1000;
const maxReadLimit = 10_000;

interface EventRow {
  stream_id: string;
  stream_version: string;
  event_id: string;
  event_type: string;
  schema_version: number;
  data: Record<string, unknown>;
  metadata: RecordedEvent["metadata"];
  recorded_at: Date;
  tx_id: string;
  seq: string;
}

const eventColumns = `e.stream_id, e.stream_version, e.event_id, e.event_type, e.schema_version,
  e.data, e.metadata, e.recorded_at, e.tx_id::text AS tx_id, e.seq`;

export interface PostgresEventStoreOptions {
  pool: pg.Pool;
  upcasters?: UpcasterRegistry;
  /** Shortest gap between two wake-up notifications; 25 ms when omitted. */
  notifyIntervalMs?: number;
}

/**
 * Event store on PostgreSQL. Appends go through the `append_events` SQL function in one round
 * trip. `$all` is ordered by (transaction id, sequence) and read only below the oldest running
 * transaction, so a reader never skips a transaction that commits late.
 * NOTE: writers that append to one stream at once with `any` or `exists` can reach `$all` out
 * of version order, because a transaction takes its id before it waits for the stream's row
 * lock. Numeric expected versions cannot, because the loser fails, and commands use those.
 */
export class PostgresEventStore implements EventStore {
  readonly #pool: pg.Pool;
  readonly #upcasters: UpcasterRegistry;
  readonly #signal: AppendSignal;

  constructor(options: PostgresEventStoreOptions) {
    this.#pool = options.pool;
    this.#upcasters = options.upcasters ?? noUpcasters;
    this.#signal = new AppendSignal(options.pool, options.notifyIntervalMs ?? 25);
  }

  async append(
    streamId: string,
    expectedVersion: ExpectedVersion,
    events: readonly NewEvent[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    validateAppend(streamId, events);
    checkExpectedVersion(expectedVersion);

    const stored = events.map((event): StoredEvent => {
      const content = {
        streamId,
        eventId: event.eventId.toLowerCase(),
        type: event.type,
        schemaVersion: event.schemaVersion ?? 1,
        data: event.data,
        metadata: event.metadata,
      };
      return {
        eventId: content.eventId,
        type: content.type,
        schemaVersion: content.schemaVersion,
        dataJson: JSON.stringify(content.data),
        metadataJson: JSON.stringify(content.metadata),
        contentHash: eventContentDigest(content),
      };
    });
    // jsonb cannot store U+0000; rejecting it here keeps it from surfacing as a server error.
    if (stored.some((event) => hasNul(event.dataJson) || hasNul(event.metadataJson))) {
      throw new InvalidEventError("event data or metadata contains a NUL character");
    }

    const single = stored.length === 1 ? stored[0]! : undefined;
    if (
      single &&
      !options.claims?.length &&
      !options.releases?.length &&
      !options.destroySubjectKeys?.length
    ) {
      return this.#appendSingle(streamId, expectedVersion, events, single);
    }

    const payload = `[${stored
      .map(
        (event) =>
          `{"event_id":${JSON.stringify(event.eventId)},"type":${JSON.stringify(event.type)},` +
          `"schema_version":${event.schemaVersion},"data":${event.dataJson},` +
          `"metadata":${event.metadataJson},"content_hash":"${event.contentHash.toString("hex")}"}`,
      )
      .join(",")}]`;
    const parameters = [
      streamId,
      String(expectedVersion),
      payload,
      JSON.stringify(options.claims ?? []),
      JSON.stringify(options.releases ?? []),
      options.destroySubjectKeys ?? [],
    ];

    for (let attempt = 1; ; attempt += 1) {
      try {
        const { rows } = await this.#pool.query<{ version: string; tx_id: string; seq: string }>(
          "SELECT version, tx_id::text AS tx_id, seq FROM append_events($1, $2, $3, $4, $5, $6)",
          parameters,
        );
        const row = rows[0]!;
        this.#signal.appended(events.map((event) => event.type));
        return {
          streamId,
          version: Number(row.version),
          position: formatPosition(row.tx_id, row.seq),
        };
      } catch (error) {
        const code = (error as { code?: string }).code;
        // RG004: another writer created the stream first; the retry appends after its events.
        if (code === "RG004" && attempt < 3) continue;
        if (code === "RG001" || code === "23505") {
          const retried = await findRetriedAppend(this.#pool, streamId, events);
          if (retried) return retried;
        }
        throw translateAppendError(error, streamId, expectedVersion, events);
      }
    }
  }

  async #appendSingle(
    streamId: string,
    expectedVersion: ExpectedVersion,
    events: readonly NewEvent[],
    event: StoredEvent,
  ): Promise<AppendResult> {
    for (let attempt = 1; ; attempt += 1) {
      let row: SingleAppendRow | undefined;
      try {
        row = await appendSingle(this.#pool, streamId, expectedVersion, event);
      } catch (error) {
        if ((error as { code?: string }).code !== "23505") throw error;
        const retried = await findRetriedAppend(this.#pool, streamId, events);
        if (retried) return retried;
        throw translateAppendError(error, streamId, expectedVersion, events);
      }
      if (row) {
        this.#signal.appended([event.type]);
        return {
          streamId,
          version: Number(row.stream_version),
          position: formatPosition(row.tx_id, row.seq),
        };
      }

      const retried = await findRetriedAppend(this.#pool, streamId, events);
      if (retried) return retried;
      // The version is read after the failed statement. When another writer has moved the
      // stream to the expected version in between, the append is tried again.
      const actual = await currentVersion(this.#pool, streamId);
      if (!satisfies(expectedVersion, actual) || attempt >= 3) {
        throw new WrongExpectedVersionError(streamId, expectedVersion, actual);
      }
    }
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const { rows } = await this.#pool.query<EventRow>(
      `SELECT ${eventColumns} FROM events e
       WHERE e.stream_id = $1 AND e.stream_version >= $2 AND e.stream_version <= $3
         AND ($4::timestamptz IS NULL OR e.recorded_at <= $4)
       ORDER BY e.stream_version`,
      [
        streamId,
        options.fromVersion ?? 1,
        options.toVersion ?? Number.MAX_SAFE_INTEGER,
        options.until ?? null,
      ],
    );
    return rows.map((row) => this.#toRecorded(row));
  }

  async readAll(options: ReadAllOptions = {}): Promise<ReadAllPage> {
    const after = parsePosition(options.after);
    const limit = Math.min(Math.max(options.limit ?? defaultReadLimit, 1), maxReadLimit);
    const types = options.types && options.types.length > 0 ? [...options.types] : null;

    // One statement, so the page and the head are read below the same horizon: when the page
    // is short, every event up to the head has been seen and the next read can start there.
    const { rows } = await this.#pool.query<
      Partial<EventRow> & { head_tx: string; head_seq: string }
    >(
      `WITH horizon AS MATERIALIZED (
         SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin
       ), head AS MATERIALIZED (
         SELECT e.tx_id, e.seq FROM events e, horizon h
         WHERE e.tx_id < h.xmin ORDER BY e.tx_id DESC, e.seq DESC LIMIT 1
       )
       SELECT page.*, head.tx_id::text AS head_tx, head.seq AS head_seq
       FROM head LEFT JOIN LATERAL (
         SELECT ${eventColumns} FROM events e, horizon h
         WHERE (e.tx_id, e.seq) > ($1::xid8, $2::bigint) AND e.tx_id < h.xmin
           AND ($3::text[] IS NULL OR e.event_type = ANY ($3))
         ORDER BY e.tx_id, e.seq LIMIT $4
       ) page ON true`,
      [after.txId, after.seq, types, limit],
    );

    const events = rows
      .filter((row) => row.event_id !== null)
      .map((row) => this.#toRecorded(row as EventRow));
    const last = events.at(-1);
    const head = rows[0];
    let position = options.after ?? formatPosition("0", "0");
    if (events.length < limit && head) {
      position = formatPosition(head.head_tx, head.head_seq);
    } else if (last) {
      position = last.position;
    }
    return { events, position };
  }

  async headPosition(): Promise<Position> {
    const { rows } = await this.#pool.query<{ tx_id: string; seq: string }>(
      `SELECT e.tx_id::text AS tx_id, e.seq FROM events e
       WHERE e.tx_id < pg_snapshot_xmin(pg_current_snapshot())
       ORDER BY e.tx_id DESC, e.seq DESC LIMIT 1`,
    );
    const row = rows[0];
    return row ? formatPosition(row.tx_id, row.seq) : formatPosition("0", "0");
  }

  comparePositions(a: Position, b: Position): number {
    return comparePostgresPositions(a, b);
  }

  onAppended(listener: AppendListener): Promise<() => Promise<void>> {
    return this.#signal.listen(listener);
  }

  async verifyStream(streamId: string): Promise<ChainVerification> {
    return verifyPostgresStream(this.#pool, streamId);
  }

  async close(): Promise<void> {
    // The pool belongs to the caller, who ends it.
  }

  #toRecorded(row: EventRow): RecordedEvent {
    const upcast = this.#upcasters.upcast(row.event_type, row.schema_version, row.data);
    return {
      eventId: row.event_id,
      streamId: row.stream_id,
      streamVersion: Number(row.stream_version),
      type: row.event_type,
      schemaVersion: upcast.schemaVersion,
      data: upcast.data,
      metadata: row.metadata,
      recordedAt: row.recorded_at,
      position: formatPosition(row.tx_id, row.seq),
    };
  }
}

function satisfies(expected: ExpectedVersion, actual: number): boolean {
  if (expected === "any") return true;
  if (expected === "exists") return actual > 0;
  return (expected === "no_stream" ? 0 : expected) === actual;
}

function hasNul(json: string): boolean {
  return json.includes("\\u0000");
}

function checkExpectedVersion(expected: ExpectedVersion): void {
  if (typeof expected === "number") {
    if (!Number.isSafeInteger(expected) || expected < 0) {
      throw new InvalidEventError(`expected version must be a non-negative integer: ${expected}`);
    }
    return;
  }
  if (expected !== "no_stream" && expected !== "any" && expected !== "exists") {
    throw new InvalidEventError(`unknown expected version: ${String(expected)}`);
  }
}

function translateAppendError(
  error: unknown,
  streamId: string,
  expectedVersion: ExpectedVersion,
  events: readonly NewEvent[],
): unknown {
  const { code, detail } = error as { code?: string; detail?: string };
  switch (code) {
    case "RG001":
      return new WrongExpectedVersionError(streamId, expectedVersion, Number(detail));
    case "RG002":
      return new ClaimConflictError(streamId, detail ?? "unknown");
    case "23505":
      // Unique event id stored in another stream: the idempotency check only looks here.
      return new EventIdConflictError(streamId, events[0]!.eventId);
    default:
      return error;
  }
}
