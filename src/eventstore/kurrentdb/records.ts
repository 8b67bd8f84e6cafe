import type { RecordedEvent as ClientRecordedEvent } from "@kurrent/kurrentdb-client";
import type { EventMetadata } from "../envelope.ts";
import { InvalidEventError } from "../errors.ts";
import type { Position, RecordedEvent } from "../port.ts";
import type { UpcasterRegistry } from "../upcasters.ts";
import type { ChainedEvent } from "./hash-chain.ts";
import { formatPosition } from "./position.ts";
import { versionOfRevision } from "./revisions.ts";

/**
 * Metadata the adapter stores with each KurrentDB event: our envelope, the schema version of
 * `data` and the event's hex SHA-256 link of the stream's hash chain. It is a type alias, not an
 * interface, so it fits the client's JSON metadata type.
 */
export type StoredMetadata = {
  envelope: EventMetadata;
  schemaVersion: number;
  hash: string;
};

const hashPattern = /^[0-9a-f]{64}$/;

/** Reads the adapter's metadata of a record, raising `InvalidEventError` when it is not there. */
export function storedMetadataOf(record: ClientRecordedEvent): StoredMetadata {
  const metadata = record.metadata as Partial<StoredMetadata> | undefined;
  const valid =
    isObject(metadata) &&
    isObject(metadata.envelope) &&
    Number.isSafeInteger(metadata.schemaVersion) &&
    typeof metadata.hash === "string" &&
    hashPattern.test(metadata.hash);
  if (!valid) {
    throw new InvalidEventError(
      `event ${record.id} at ${record.streamId}@${record.revision} has no Registrar metadata`,
    );
  }
  return metadata as StoredMetadata;
}

/** Returns a record's data, which the adapter always writes as a JSON object. */
export function dataOf(record: ClientRecordedEvent): Record<string, unknown> {
  if (!record.isJson || !isObject(record.data)) {
    throw new InvalidEventError(
      `event ${record.id} at ${record.streamId}@${record.revision} has no JSON object data`,
    );
  }
  return record.data as Record<string, unknown>;
}

/** Returns the fields of a stored record that its chain hash covers. */
export function chainedFieldsOf(record: ClientRecordedEvent, stored: StoredMetadata): ChainedEvent {
  return {
    streamId: record.streamId,
    streamVersion: versionOfRevision(record.revision),
    eventId: record.id.toLowerCase(),
    type: record.type,
    schemaVersion: stored.schemaVersion,
    data: record.data,
    envelope: stored.envelope,
  };
}

/** Converts a client record to the port's shape, upcasting its data to the current schema. */
export function toRecordedEvent(
  record: ClientRecordedEvent,
  upcasters: UpcasterRegistry,
): RecordedEvent {
  const stored = storedMetadataOf(record);
  const upcast = upcasters.upcast(record.type, stored.schemaVersion, dataOf(record));
  return {
    eventId: record.id,
    streamId: record.streamId,
    streamVersion: versionOfRevision(record.revision),
    type: record.type,
    schemaVersion: upcast.schemaVersion,
    data: upcast.data,
    metadata: stored.envelope,
    recordedAt: record.created,
    position: positionOf(record),
  };
}

/**
 * Returns a record's encoded `$all` position. NOTE: stream reads carry it only on servers after
 * 22.6.0, as the client's `RecordedEvent` type states; older servers are not supported.
 */
export function positionOf(record: ClientRecordedEvent): Position {
  if (!record.position) {
    throw new InvalidEventError(`KurrentDB returned event ${record.id} without a $all position`);
  }
  return formatPosition(record.position);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
