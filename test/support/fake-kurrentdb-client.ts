import { EventEmitter } from "node:events";
import {
  type AllStreamRecordedEvent,
  type AllStreamResolvedEvent,
  ANY,
  type AppendResult,
  type AppendStreamState,
  type AppendToStreamOptions,
  BACKWARDS,
  type CurrentStreamState,
  END,
  EVENT_TYPE,
  type EventData,
  type Filter,
  NO_STREAM,
  type Position,
  type ReadAllOptions,
  type ReadStreamOptions,
  type ResolvedEvent,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  type SubscribeToAllOptions,
  WrongExpectedVersionError,
} from "@kurrent/kurrentdb-client";
import type {
  KurrentDbClient,
  KurrentDbSubscription,
} from "../../src/eventstore/kurrentdb/client.ts";

/** One stored event. Data and metadata are kept as JSON text, as the server keeps bytes. */
interface StoredRecord {
  streamId: string;
  id: string;
  revision: bigint;
  type: string;
  created: Date;
  data: string;
  metadata: string | undefined;
  position: Position;
}

/** An event's data and metadata as `alterEvent` hands them over for changing. */
export interface AlterableEvent {
  data: Record<string, unknown>;
  metadata: Record<string, unknown> | undefined;
}

type AppendHook = () => Promise<void> | void;

const logPositionStep = 100n;

/**
 * In-memory stand-in for `KurrentDBClient` 1.3, inside the test process. It follows what the
 * client's docs, types and tests state:
 * - revisions count from 0; `streamState` is ANY, NO_STREAM, STREAM_EXISTS or a revision, and a
 *   mismatch raises the package's `WrongExpectedVersionError` with `expectedState` and
 *   `actualState` (`no_stream` when the stream does not exist);
 * - re-sent event ids after the same expected revision are idempotent: success without a new
 *   write (and, like an idempotent server write, without a position);
 * - `readStream` raises `StreamNotFoundError` while the read is iterated, not when it is called;
 * - a forward `readAll` from a position includes the event at it (the client's readAll test
 *   "from position" reads that event back with `maxCount: 1`);
 * - subscription positions are exclusive (the client's subscription docs), and a subscription
 *   emits `confirmation` before any event;
 * - event-type and stream-name filters by regex or prefixes; system events start with `$`.
 * Not documented, so chosen here: a backward `readAll` from a position excludes it, and the
 * events of one append share a commit position and differ in their prepare position.
 */
export class FakeKurrentDbClient implements KurrentDbClient {
  readonly #streams = new Map<string, StoredRecord[]>();
  readonly #log: StoredRecord[] = [];
  readonly #subscriptions = new Set<FakeSubscription>();
  readonly #hooks = new Map<string, AppendHook>();
  #nextLogPosition = 0n;

  /** Stream name and `streamState` of every append, in call order. */
  readonly appends: Array<{ streamName: string; streamState: AppendStreamState }> = [];

  constructor() {
    // A fresh server's `$all` already contains system events, so readers must skip them.
    this.#write("$settings", [systemEvent("$settings")]);
  }

  async appendToStream(
    streamName: string,
    events: EventData | EventData[],
    { streamState = ANY }: AppendToStreamOptions = {},
  ): Promise<AppendResult> {
    const hook = this.#hooks.get(streamName);
    if (hook) {
      this.#hooks.delete(streamName);
      await hook();
    }
    const list = Array.isArray(events) ? events : [events];
    this.appends.push({ streamName, streamState });

    const stream = this.#streams.get(streamName) ?? [];
    const idempotent = idempotentResult(stream, list, streamState);
    if (idempotent) return idempotent;

    const current: CurrentStreamState = stream.length === 0 ? NO_STREAM : BigInt(stream.length - 1);
    if (!satisfies(streamState, current)) {
      throw new WrongExpectedVersionError(undefined, {
        streamName,
        expected: streamState,
        current,
      });
    }

    const written = this.#write(streamName, list);
    const last = written.at(-1)!;
    return { success: true, nextExpectedRevision: last.revision, position: { ...last.position } };
  }

  readStream(streamName: string, options: ReadStreamOptions = {}): AsyncIterable<ResolvedEvent> {
    return this.#readStream(streamName, options);
  }

  readAll(options: ReadAllOptions = {}): AsyncIterable<AllStreamResolvedEvent> {
    return this.#readAll(options);
  }

  subscribeToAll({ fromPosition = START, filter }: SubscribeToAllOptions = {}): FakeSubscription {
    const subscription = new FakeSubscription(filter, () => {
      this.#subscriptions.delete(subscription);
    });
    const backlog =
      fromPosition === END
        ? []
        : this.#log.filter(
            (record) =>
              fromPosition === START || comparePositions(record.position, fromPosition) > 0,
          );
    this.#subscriptions.add(subscription);
    subscription.start(backlog);
    return subscription;
  }

  /** Runs `hook` once, before the next append to `streamName` checks its state. */
  beforeNextAppend(streamName: string, hook: AppendHook): void {
    this.#hooks.set(streamName, hook);
  }

  /** Changes a stored event in place, as someone with write access to the database could. */
  alterEvent(streamName: string, revision: bigint, change: (event: AlterableEvent) => void): void {
    const record = this.#streams.get(streamName)?.[Number(revision)];
    if (!record) throw new Error(`no event ${revision} in stream ${streamName}`);

    const event: AlterableEvent = {
      data: JSON.parse(record.data),
      metadata: record.metadata === undefined ? undefined : JSON.parse(record.metadata),
    };
    change(event);
    record.data = JSON.stringify(event.data);
    record.metadata = event.metadata === undefined ? undefined : JSON.stringify(event.metadata);
  }

  /** Number of open subscriptions. */
  get subscriptionCount(): number {
    return this.#subscriptions.size;
  }

  #write(streamName: string, events: EventData[]): StoredRecord[] {
    const stream = this.#streams.get(streamName) ?? [];
    this.#streams.set(streamName, stream);
    const commit = this.#nextLogPosition;
    const created = new Date();

    const written = events.map((event) => {
      if (event.contentType !== "application/json") {
        throw new Error("the fake KurrentDB client stores JSON events only");
      }
      const record: StoredRecord = {
        streamId: streamName,
        id: event.id.toLowerCase(),
        revision: BigInt(stream.length),
        type: event.type,
        created,
        data: JSON.stringify(event.data),
        metadata: event.metadata === undefined ? undefined : JSON.stringify(event.metadata),
        position: { commit, prepare: this.#nextLogPosition },
      };
      this.#nextLogPosition += logPositionStep;
      stream.push(record);
      this.#log.push(record);
      return record;
    });
    for (const subscription of this.#subscriptions) subscription.deliver(written);
    return written;
  }

  async *#readStream(
    streamName: string,
    { fromRevision = START, direction, maxCount = Number.MAX_SAFE_INTEGER }: ReadStreamOptions,
  ): AsyncGenerator<ResolvedEvent> {
    const stream = this.#streams.get(streamName);
    if (!stream) throw new StreamNotFoundError(undefined, streamName);

    let selected: StoredRecord[];
    if (direction === BACKWARDS) {
      let from = stream.length - 1;
      if (fromRevision === START) from = 0;
      else if (fromRevision !== END) from = Number(fromRevision);
      selected = stream.slice(0, from + 1).reverse();
    } else {
      let from = 0;
      if (fromRevision === END) from = stream.length;
      else if (fromRevision !== START) from = Number(fromRevision);
      selected = stream.slice(from);
    }
    for (const record of selected.slice(0, Number(maxCount))) {
      yield { event: toClientRecord(record) as ResolvedEvent["event"] };
    }
  }

  async *#readAll({
    fromPosition = START,
    direction,
    maxCount = Number.MAX_SAFE_INTEGER,
    filter,
  }: ReadAllOptions): AsyncGenerator<AllStreamResolvedEvent> {
    const matching = this.#log.filter((record) => matches(filter, record));
    let selected: StoredRecord[];
    if (direction === BACKWARDS) {
      selected =
        fromPosition === START
          ? []
          : matching.filter(
              (record) =>
                fromPosition === END || comparePositions(record.position, fromPosition) < 0,
            );
      selected.reverse();
    } else {
      selected =
        fromPosition === END
          ? []
          : matching.filter(
              (record) =>
                fromPosition === START || comparePositions(record.position, fromPosition) >= 0,
            );
    }
    for (const record of selected.slice(0, Number(maxCount))) {
      yield { event: toClientRecord(record), commitPosition: record.position.commit };
    }
  }
}

/** A `$all` subscription of the fake: events arrive asynchronously, after `confirmation`. */
export class FakeSubscription extends EventEmitter implements KurrentDbSubscription {
  readonly #filter: Filter | undefined;
  readonly #onClose: () => void;
  #closed = false;

  constructor(filter: Filter | undefined, onClose: () => void) {
    super();
    this.#filter = filter;
    this.#onClose = onClose;
  }

  start(backlog: StoredRecord[]): void {
    setImmediate(() => {
      if (this.#closed) return;
      this.emit("confirmation");
      this.deliver(backlog);
      setImmediate(() => this.emit("caughtUp", {}));
    });
  }

  deliver(records: StoredRecord[]): void {
    setImmediate(() => {
      for (const record of records) {
        if (this.#closed || !matches(this.#filter, record)) continue;
        this.emit("data", {
          event: toClientRecord(record),
          commitPosition: record.position.commit,
        });
      }
    });
  }

  async unsubscribe(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#onClose();
    setImmediate(() => this.emit("close"));
  }
}

function idempotentResult(
  stream: StoredRecord[],
  events: EventData[],
  streamState: AppendStreamState,
): AppendResult | undefined {
  const ids = events.map((event) => event.id.toLowerCase());
  let start: number;
  if (streamState === NO_STREAM) start = 0;
  else if (typeof streamState === "bigint") start = Number(streamState) + 1;
  else start = stream.findIndex((record) => record.id === ids[0]);

  if (start < 0 || !ids.every((id, index) => stream[start + index]?.id === id)) return undefined;
  return {
    success: true,
    nextExpectedRevision: BigInt(start + ids.length - 1),
    position: undefined,
  };
}

function satisfies(expected: AppendStreamState, current: CurrentStreamState): boolean {
  if (expected === ANY) return true;
  if (expected === NO_STREAM) return current === NO_STREAM;
  if (expected === STREAM_EXISTS) return current !== NO_STREAM;
  return current === expected;
}

function matches(filter: Filter | undefined, record: StoredRecord): boolean {
  if (!filter) return true;
  const value = filter.filterOn === EVENT_TYPE ? record.type : record.streamId;
  if ("regex" in filter) return new RegExp(filter.regex).test(value);
  return filter.prefixes.some((prefix) => value.startsWith(prefix));
}

function comparePositions(a: Position, b: Position): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

function toClientRecord(record: StoredRecord): AllStreamRecordedEvent {
  return {
    streamId: record.streamId,
    id: record.id,
    revision: record.revision,
    type: record.type,
    created: new Date(record.created),
    data: JSON.parse(record.data),
    metadata: record.metadata === undefined ? undefined : JSON.parse(record.metadata),
    isJson: true,
    position: { ...record.position },
  } as AllStreamRecordedEvent;
}

function systemEvent(type: string): EventData {
  return {
    id: crypto.randomUUID(),
    contentType: "application/json",
    type,
    data: {},
    metadata: undefined,
  };
}
