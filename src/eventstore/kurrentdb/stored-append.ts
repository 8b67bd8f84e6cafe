import { EventIdConflictError } from "../errors.ts";
import type { NewEvent, Position } from "../port.ts";
import type { KurrentDbClient } from "./client.ts";
import { positionOf } from "./records.ts";
import { versionOfRevision } from "./revisions.ts";
import { readRecords } from "./stream-records.ts";

/** Location of an append's stored events; `isHead` is true while they are the stream's last. */
export interface StoredAppend {
  version: number;
  position: Position;
  isHead: boolean;
}

/**
 * Finds the events of an append in the stream by their ids. Returns undefined when none is
 * stored and raises `EventIdConflictError` when only some are, or not in this order. It reads
 * the whole stream, which the adapter does only on version conflicts and re-sent ids.
 */
export async function findStoredAppend(
  client: KurrentDbClient,
  streamId: string,
  events: readonly NewEvent[],
): Promise<StoredAppend | undefined> {
  const records = await readRecords(client, streamId);
  const ids = events.map((event) => event.eventId.toLowerCase());
  const start = records.findIndex((record) => record.id.toLowerCase() === ids[0]);
  if (start < 0) {
    const stray = records.find((record) => ids.includes(record.id.toLowerCase()));
    if (stray) throw new EventIdConflictError(streamId, stray.id);
    return undefined;
  }

  ids.forEach((id, index) => {
    if (records[start + index]?.id.toLowerCase() !== id) {
      throw new EventIdConflictError(streamId, events[index]!.eventId);
    }
  });
  const last = records[start + ids.length - 1]!;
  return {
    version: versionOfRevision(last.revision),
    position: positionOf(last),
    isHead: last === records.at(-1),
  };
}
