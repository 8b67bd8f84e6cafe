import {
  BACKWARDS,
  type RecordedEvent as ClientRecordedEvent,
  END,
  type ReadStreamOptions,
  StreamNotFoundError,
} from "@kurrent/kurrentdb-client";
import type { KurrentDbClient } from "./client.ts";

/**
 * Reads a stream's records, or an empty list when the stream does not exist. The client raises
 * `StreamNotFoundError` while the read is iterated, not when `readStream` is called, so the
 * catch covers the whole iteration.
 */
export async function readRecords(
  client: KurrentDbClient,
  streamName: string,
  options: ReadStreamOptions = {},
): Promise<ClientRecordedEvent[]> {
  const records: ClientRecordedEvent[] = [];
  try {
    for await (const resolved of client.readStream(streamName, options)) {
      if (resolved.event) records.push(resolved.event);
    }
  } catch (error) {
    if (error instanceof StreamNotFoundError) return [];
    throw error;
  }
  return records;
}

/** Reads the last record of a stream, or undefined when the stream does not exist. */
export async function readLastRecord(
  client: KurrentDbClient,
  streamName: string,
): Promise<ClientRecordedEvent | undefined> {
  const records = await readRecords(client, streamName, {
    direction: BACKWARDS,
    fromRevision: END,
    maxCount: 1,
  });
  return records[0];
}
