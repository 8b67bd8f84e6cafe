import type { EventMetadata } from "./envelope.ts";

/**
 * Expected version of a stream at append time. A stream's version is its number of events, so
 * its first event has version 1. `no_stream` requires that the stream has no events, `exists`
 * that it has at least one, and `any` skips the check.
 */
export type ExpectedVersion = "no_stream" | "any" | "exists" | number;

/**
 * Position of an event in the `$all` order, as an opaque string that only the adapter that
 * produced it can compare. `START` is before every event.
 */
export type Position = string;
export const START: Position = "start";

/** An event as a command handler builds it, before the store assigns a version. */
export interface NewEvent<Data = unknown> {
  /** UUID chosen by the caller. Re-appending the same ids is idempotent. */
  eventId: string;
  /** Past-tense type name, subject first (`IdentityRegistered`). */
  type: string;
  /** Version of the `data` shape for this type; 1 when omitted. */
  schemaVersion?: number;
  data: Data;
  metadata: EventMetadata;
}

/** An event as the store returns it, after upcasting to its type's current schema version. */
export interface RecordedEvent<Data = unknown> {
  eventId: string;
  streamId: string;
  /** 1-based version of the stream after this event. */
  streamVersion: number;
  type: string;
  schemaVersion: number;
  data: Data;
  metadata: EventMetadata;
  recordedAt: Date;
  position: Position;
}

/** A unique value owned by one stream, such as a normalised email address. */
export interface Claim {
  type: string;
  /** An HMAC of the normalised value, never the plaintext. */
  key: string;
}

export interface AppendOptions {
  /** Claims taken by this stream in the same transaction; a conflict rejects the whole append. */
  claims?: Claim[];
  /** Claims held by this stream that are released in the same transaction. */
  releases?: Claim[];
  /**
   * Subjects whose personal-data keys are destroyed with this append (crypto-shredding).
   * The PostgreSQL adapter does this in the same transaction; other adapters do it right after.
   */
  destroySubjectKeys?: string[];
}

export interface AppendResult {
  streamId: string;
  /** Stream version after the append. */
  version: number;
  /** `$all` position of the last event appended. */
  position: Position;
}

export interface ReadStreamOptions {
  /** First version to return, inclusive; 1 when omitted. */
  fromVersion?: number;
  /** Last version to return, inclusive. */
  toVersion?: number;
  /** Returns only events recorded at or before this time (time travel). */
  until?: Date;
}

export interface ReadAllOptions {
  /** Returns events strictly after this position; `START` when omitted. */
  after?: Position;
  /** Returns only events of these types. */
  types?: readonly string[];
  /** Maximum number of events to return. */
  limit?: number;
}

export interface ReadAllPage {
  events: RecordedEvent[];
  /**
   * Position to pass as `after` for the next page. With a type filter it can move past the
   * last returned event, over events of other types, so a reader never rescans them.
   */
  position: Position;
}

/** Result of checking a stream's hash chain. */
export interface ChainVerification {
  streamId: string;
  valid: boolean;
  /** Number of events checked. */
  checked: number;
  /** First version whose stored hash does not match its recomputed hash. */
  brokenAtVersion?: number;
}

/** The event store that commands append to and projections read from. */
export interface EventStore {
  /**
   * Appends events to a stream in one transaction, checking the expected version and writing
   * claims and releases atomically with the events. Raises `WrongExpectedVersionError` or
   * `ClaimConflictError`. Re-sending events whose ids are already stored returns the original
   * result without appending.
   */
  append(
    streamId: string,
    expectedVersion: ExpectedVersion,
    events: readonly NewEvent[],
    options?: AppendOptions,
  ): Promise<AppendResult>;

  /** Reads a stream in version order; an unknown stream returns an empty list. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;

  /** Reads every stream in one total order that never skips a committed event. */
  readAll(options?: ReadAllOptions): Promise<ReadAllPage>;

  /** Position of the last event visible to `readAll`. */
  headPosition(): Promise<Position>;

  /** Orders two positions from this store: negative, zero or positive like a comparator. */
  comparePositions(a: Position, b: Position): number;

  /**
   * Calls `listener` when new events may be available, with their types when the adapter has
   * them (appends of this process). This is a hint only: readers also poll. Returns a function
   * that stops listening.
   */
  onAppended(listener: (types?: readonly string[]) => void): Promise<() => Promise<void>>;

  /** Recomputes a stream's hash chain and reports the first version that does not match. */
  verifyStream(streamId: string): Promise<ChainVerification>;

  close(): Promise<void>;
}
