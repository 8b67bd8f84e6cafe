import {
  AccessDeniedError,
  WrongExpectedVersionError as ClientWrongExpectedVersionError,
  MaxAppendSizeExceededError,
  StreamDeletedError,
} from "@kurrent/kurrentdb-client";
import type { Logger } from "pino";
import { ClaimConflictError, EventIdConflictError, WrongExpectedVersionError } from "../errors.ts";
import type { AppendOptions, AppendResult, Claim, ExpectedVersion, NewEvent } from "../port.ts";
import { appendOrRaise, type KurrentDbClient } from "./client.ts";
import { type StreamHead, toEventData } from "./event-data.ts";
import { genesisHash } from "./hash-chain.ts";
import { positionOf, storedMetadataOf } from "./records.ts";
import {
  claimStreamName,
  eventIdStreamName,
  type Reservation,
  ReservationStreams,
  type ReserveOutcome,
} from "./reservations.ts";
import {
  satisfiesExpectedVersion,
  streamStateAt,
  toStreamState,
  versionOfRevision,
  versionOfState,
} from "./revisions.ts";
import { findStoredAppend, type StoredAppend } from "./stored-append.ts";
import { readLastRecord, readRecords } from "./stream-records.ts";

/** Destroys the personal-data keys of subjects (crypto-shredding); the keys live in PostgreSQL. */
export type KeyDestroyer = (subjectIds: string[]) => Promise<void>;

const maxWriteAttempts = 5;

/**
 * Appends to a KurrentDB stream with the port's guarantees, built from single-stream writes:
 * event ids and claims are reserved in reservation streams first, then the events are written,
 * then released claims are freed and subject keys destroyed.
 */
export class StreamAppender {
  readonly #client: KurrentDbClient;
  readonly #reservations: ReservationStreams;
  readonly #destroyKeys: KeyDestroyer;
  readonly #logger: Logger;

  constructor(client: KurrentDbClient, destroyKeys: KeyDestroyer, logger: Logger) {
    this.#client = client;
    this.#reservations = new ReservationStreams(client);
    this.#destroyKeys = destroyKeys;
    this.#logger = logger;
  }

  async append(
    streamId: string,
    expected: ExpectedVersion,
    events: readonly NewEvent[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    const head = await this.#readHead(streamId);
    if (!satisfiesExpectedVersion(expected, head.version)) {
      const stored = await findStoredAppend(this.#client, streamId, events);
      if (stored) return this.#completeRetry(streamId, stored, options);
      throw new WrongExpectedVersionError(streamId, expected, head.version);
    }

    // NOTE: KurrentDB writes one stream atomically, so reservations, events and releases are
    // separate writes. Reservations go first and the events only after all of them succeed.
    // When the append then fails for certain, the reservations this call wrote are released
    // again (compensation). A failure of unknown outcome (timeout, lost connection) keeps them,
    // because the events may be stored. Re-sending the same append then finds them held by
    // this stream and completes it; until then its claims stay taken.
    const reserved: Reservation[] = [];
    let stored: StoredAppend;
    try {
      const retried = await this.#reserveEventIds(streamId, events, reserved);
      if (retried) {
        await this.#compensate(streamId, reserved);
        return this.#completeRetry(streamId, retried, options);
      }
      await this.#reserveClaims(streamId, options.claims ?? [], reserved);
      stored = await this.#writeEvents(streamId, expected, events, head);
    } catch (error) {
      if (isDefiniteFailure(error)) await this.#compensate(streamId, reserved);
      throw error;
    }

    await this.#releaseClaims(streamId, options);
    await this.#destroySubjectKeys(options);
    return { streamId, version: stored.version, position: stored.position };
  }

  async #readHead(streamId: string): Promise<StreamHead> {
    const last = await readLastRecord(this.#client, streamId);
    if (!last) return { version: 0, hash: genesisHash };
    return { version: versionOfRevision(last.revision), hash: storedMetadataOf(last).hash };
  }

  /**
   * Reserves every event id for this stream. KurrentDB cannot look events up by id, so the
   * reservation stream of an id records the stream that stores it. An id held by another stream
   * raises `EventIdConflictError`. Ids already held by this stream come from a re-sent append,
   * whose stored result is returned, or from an append that failed without compensation.
   */
  async #reserveEventIds(
    streamId: string,
    events: readonly NewEvent[],
    reserved: Reservation[],
  ): Promise<StoredAppend | undefined> {
    const names = events.map((event) => eventIdStreamName(event.eventId));
    const outcomes = await this.#reserveAll(names, streamId, reserved);

    const conflict = outcomes.findIndex((outcome) => outcome.status === "taken");
    if (conflict >= 0) throw new EventIdConflictError(streamId, events[conflict]!.eventId);
    if (!outcomes.some((outcome) => outcome.status === "held")) return undefined;
    return findStoredAppend(this.#client, streamId, events);
  }

  async #reserveClaims(streamId: string, claims: Claim[], reserved: Reservation[]): Promise<void> {
    const outcomes = await this.#reserveAll(claims.map(claimStreamName), streamId, reserved);
    const conflict = outcomes.findIndex((outcome) => outcome.status === "taken");
    if (conflict >= 0) throw new ClaimConflictError(streamId, claims[conflict]!.type);
  }

  /** Reserves in parallel and records every reservation written, even when another one fails. */
  async #reserveAll(
    streamNames: string[],
    holder: string,
    reserved: Reservation[],
  ): Promise<ReserveOutcome[]> {
    const settled = await Promise.allSettled(
      streamNames.map((name) => this.#reservations.reserve(name, holder)),
    );
    const outcomes: ReserveOutcome[] = [];
    for (const result of settled) {
      if (result.status === "rejected") throw result.reason;
      if (result.value.status === "reserved") reserved.push(result.value.reservation);
      outcomes.push(result.value);
    }
    return outcomes;
  }

  /**
   * Writes the events chained to `head`. `any` and `exists` are sent as the revision just read,
   * not as the client's ANY or STREAM_EXISTS, because the new hashes link to that revision's
   * event. A concurrent append then fails the write instead of breaking the chain, and the
   * write is redone on the new head.
   */
  async #writeEvents(
    streamId: string,
    expected: ExpectedVersion,
    events: readonly NewEvent[],
    head: StreamHead,
  ): Promise<StoredAppend> {
    const pinned = expected === "any" || expected === "exists";
    let current = head;
    for (let attempt = 1; ; attempt += 1) {
      const streamState = pinned ? streamStateAt(current.version) : toStreamState(expected);
      try {
        const data = toEventData(streamId, current, events);
        const result = await appendOrRaise(this.#client, streamId, data, streamState);
        return await this.#storedAt(streamId, versionOfRevision(result.nextExpectedRevision));
      } catch (error) {
        if (!(error instanceof ClientWrongExpectedVersionError)) throw error;

        // A concurrent append of the same events may have won the race.
        const stored = await findStoredAppend(this.#client, streamId, events);
        if (stored) return stored;
        const actual = versionOfState(error.actualState);
        if (!pinned || attempt >= maxWriteAttempts) {
          throw new WrongExpectedVersionError(streamId, expected, actual);
        }
        current = await this.#readHead(streamId);
      }
    }
  }

  /**
   * Reads back the position of the event at `version`. The append result's position is not
   * used, because the client documents it only as "the logical record position in the KurrentDB
   * transaction file" of the write, not as the `$all` position of its last event.
   */
  async #storedAt(streamId: string, version: number): Promise<StoredAppend> {
    const [record] = await readRecords(this.#client, streamId, {
      fromRevision: BigInt(version - 1),
      maxCount: 1,
    });
    if (!record) throw new Error(`event ${version} of stream ${streamId} is missing after append`);
    return { version, position: positionOf(record), isHead: true };
  }

  /**
   * Finishes a re-sent append that is already stored. Key destruction is repeated, since it
   * may have failed after the first write. Releases are repeated only while the events are the
   * stream's last, because a later append may have claimed the same value again.
   */
  async #completeRetry(
    streamId: string,
    stored: StoredAppend,
    options: AppendOptions,
  ): Promise<AppendResult> {
    if (stored.isHead) await this.#releaseClaims(streamId, options);
    await this.#destroySubjectKeys(options);
    return { streamId, version: stored.version, position: stored.position };
  }

  async #releaseClaims(streamId: string, options: AppendOptions): Promise<void> {
    const claimed = new Set((options.claims ?? []).map(claimStreamName));
    const released = (options.releases ?? [])
      .map(claimStreamName)
      .filter((name) => !claimed.has(name));
    await Promise.all(released.map((name) => this.#reservations.releaseHeld(name, streamId)));
  }

  async #destroySubjectKeys(options: AppendOptions): Promise<void> {
    // NOTE: the keys live in PostgreSQL, so destroying them is not atomic with the append. When
    // it fails, the error reaches the caller after the events are stored, and calling append
    // again with the same events destroys the keys then, without appending twice.
    const subjects = options.destroySubjectKeys ?? [];
    if (subjects.length > 0) await this.#destroyKeys(subjects);
  }

  async #compensate(streamId: string, reserved: Reservation[]): Promise<void> {
    const results = await Promise.allSettled(
      reserved.map((reservation) => this.#reservations.release(reservation)),
    );
    results.forEach((result, index) => {
      if (result.status === "fulfilled") return;
      this.#logger.error(
        { err: result.reason, stream_id: streamId, reservation: reserved[index]!.streamName },
        "failed to release a reservation after a failed append, so the stream keeps it",
      );
    });
  }
}

/** Failures after which the events are certainly not stored, so reservations can be released. */
function isDefiniteFailure(error: unknown): boolean {
  return [
    WrongExpectedVersionError,
    ClaimConflictError,
    EventIdConflictError,
    AccessDeniedError,
    StreamDeletedError,
    MaxAppendSizeExceededError,
  ].some((type) => error instanceof type);
}
