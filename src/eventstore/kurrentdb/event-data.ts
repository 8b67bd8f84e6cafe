import { type EventData, jsonEvent } from "@kurrent/kurrentdb-client";
import type { NewEvent } from "../port.ts";
import { chainHash } from "./hash-chain.ts";
import type { StoredMetadata } from "./records.ts";

/** The stream version and chain hash of a stream's last event; version 0 for no stream. */
export interface StreamHead {
  version: number;
  hash: string;
}

/**
 * Builds the client's events for an append after `head`. Each carries our envelope, its schema
 * version and its link of the hash chain in its metadata. Event ids are lower-cased, and
 * `verifyStream` lower-cases the ids it reads, so the hashes match whatever case the caller used.
 */
export function toEventData(
  streamId: string,
  head: StreamHead,
  events: readonly NewEvent[],
): EventData[] {
  let previous = head.hash;
  return events.map((event, index) => {
    const eventId = event.eventId.toLowerCase();
    const schemaVersion = event.schemaVersion ?? 1;
    const hash = chainHash(previous, {
      streamId,
      streamVersion: head.version + index + 1,
      eventId,
      type: event.type,
      schemaVersion,
      data: event.data,
      envelope: event.metadata,
    });
    previous = hash;

    const metadata: StoredMetadata = { envelope: event.metadata, schemaVersion, hash };
    const data = event.data as Record<string, unknown>;
    return jsonEvent({ id: eventId, type: event.type, data, metadata });
  });
}
