import { type RecordedEvent as ClientRecordedEvent, END } from "@kurrent/kurrentdb-client";
import type { Logger } from "pino";
import { validateAppend } from "../envelope.ts";
import { InvalidEventError } from "../errors.ts";
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
import { AllReader, userEventsFilter } from "./all-reader.ts";
import type { KurrentDbClient, KurrentDbSubscription } from "./client.ts";
import { chainHash, genesisHash } from "./hash-chain.ts";
import { compareKurrentPositions } from "./position.ts";
import {
  chainedFieldsOf,
  type StoredMetadata,
  storedMetadataOf,
  toRecordedEvent,
} from "./records.ts";
import { reservationStreamPrefix } from "./reservations.ts";
import { checkExpectedVersion } from "./revisions.ts";
import { type KeyDestroyer, StreamAppender } from "./stream-appender.ts";
import { readRecords } from "./stream-records.ts";

export type { KeyDestroyer } from "./stream-appender.ts";

const confirmationTimeoutMs = 5000;

export interface KurrentDbEventStoreOptions {
  client: KurrentDbClient;
  upcasters?: UpcasterRegistry;
  /** Destroys personal-data keys for `destroySubjectKeys`, right after a successful append. */
  destroySubjectKeys: KeyDestroyer;
  /** Logger for faults the store handles itself, such as failed compensations. */
  logger: Logger;
}

/**
 * Event store on KurrentDB (formerly EventStoreDB) through `@kurrent/kurrentdb-client`. Each
 * event stream is one KurrentDB stream, and unique claims and event ids are held in
 * reservation streams. KurrentDB revisions start at 0 and our versions at 1, so revision r is
 * version r + 1.
 */
export class KurrentDbEventStore implements EventStore {
  readonly #client: KurrentDbClient;
  readonly #upcasters: UpcasterRegistry;
  readonly #logger: Logger;
  readonly #appender: StreamAppender;
  readonly #allReader: AllReader;
  readonly #subscriptions = new Set<KurrentDbSubscription>();

  constructor(options: KurrentDbEventStoreOptions) {
    this.#client = options.client;
    this.#upcasters = options.upcasters ?? noUpcasters;
    this.#logger = options.logger;
    this.#appender = new StreamAppender(options.client, options.destroySubjectKeys, options.logger);
    this.#allReader = new AllReader(options.client, this.#upcasters);
  }

  async append(
    streamId: string,
    expectedVersion: ExpectedVersion,
    events: readonly NewEvent[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    validateAppend(streamId, events);
    checkExpectedVersion(expectedVersion);
    if (streamId.startsWith(reservationStreamPrefix)) {
      throw new InvalidEventError(
        `stream ids starting with ${reservationStreamPrefix} are reserved`,
      );
    }
    return this.#appender.append(streamId, expectedVersion, events, options);
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const fromVersion = Math.max(options.fromVersion ?? 1, 1);
    const toVersion = options.toVersion;
    if (toVersion !== undefined && toVersion < fromVersion) return [];

    const records = await readRecords(this.#client, streamId, {
      fromRevision: BigInt(fromVersion - 1),
      ...(toVersion === undefined ? {} : { maxCount: toVersion - fromVersion + 1 }),
    });
    const until = options.until?.getTime();
    return records
      .filter((record) => until === undefined || record.created.getTime() <= until)
      .map((record) => toRecordedEvent(record, this.#upcasters));
  }

  readAll(options: ReadAllOptions = {}): Promise<ReadAllPage> {
    return this.#allReader.read(options);
  }

  headPosition(): Promise<Position> {
    return this.#allReader.head();
  }

  comparePositions(a: Position, b: Position): number {
    return compareKurrentPositions(a, b);
  }

  /**
   * Subscribes to `$all` from its end and calls the listener for each new event of the port.
   * Resolves once the server confirms the subscription, so appends made after that wake it.
   */
  async onAppended(listener: () => void): Promise<() => Promise<void>> {
    const subscription = this.#client.subscribeToAll({
      fromPosition: END,
      filter: userEventsFilter(),
    });
    this.#subscriptions.add(subscription);
    const stop = async () => {
      this.#subscriptions.delete(subscription);
      await subscription.unsubscribe();
    };

    subscription.on("data", ({ event }) => {
      if (event && !event.streamId.startsWith(reservationStreamPrefix)) listener();
    });
    subscription.on("error", (error) => {
      // Readers poll as well, so a dropped wake-up subscription delays them but loses nothing.
      this.#logger.error({ err: error }, "KurrentDB $all subscription for wake-ups failed");
    });
    try {
      await confirmed(subscription);
    } catch (error) {
      await stop();
      throw error;
    }
    return stop;
  }

  /**
   * Recomputes the stream's hash chain from its stored data and metadata. NOTE: a removed tail
   * (truncation or a deleted stream) leaves a shorter chain that still verifies, because
   * KurrentDB keeps no head hash outside the stream.
   */
  async verifyStream(streamId: string): Promise<ChainVerification> {
    const records = await readRecords(this.#client, streamId);
    let previous = genesisHash;
    let checked = 0;
    for (const record of records) {
      checked += 1;
      const hash = this.#recomputeHash(previous, record, checked);
      if (hash === undefined) return { streamId, valid: false, checked, brokenAtVersion: checked };
      previous = hash;
    }
    return { streamId, valid: true, checked };
  }

  /** Stops the wake-up subscriptions still open. The client belongs to the caller. */
  async close(): Promise<void> {
    await Promise.all([...this.#subscriptions].map((subscription) => subscription.unsubscribe()));
    this.#subscriptions.clear();
  }

  /** Returns the record's stored hash when it matches its recomputed one, else undefined. */
  #recomputeHash(
    previous: string,
    record: ClientRecordedEvent,
    version: number,
  ): string | undefined {
    if (Number(record.revision) !== version - 1) return undefined;
    let stored: StoredMetadata;
    try {
      stored = storedMetadataOf(record);
    } catch (error) {
      if (error instanceof InvalidEventError) return undefined;
      throw error;
    }
    return chainHash(previous, chainedFieldsOf(record, stored)) === stored.hash
      ? stored.hash
      : undefined;
  }
}

/** Waits for the server's confirmation of a subscription, its error or a timeout. */
function confirmed(subscription: KurrentDbSubscription): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(`KurrentDB did not confirm the subscription in ${confirmationTimeoutMs} ms`),
        ),
      confirmationTimeoutMs,
    );
    subscription.on("confirmation", () => {
      clearTimeout(timer);
      resolve();
    });
    subscription.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
