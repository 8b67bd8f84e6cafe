import type pg from "pg";
import { EventIdConflictError } from "../errors.ts";
import type { AppendResult, NewEvent } from "../port.ts";
import { formatPosition } from "./position.ts";

/**
 * Returns the original result when all of `events` are already stored in this stream at
 * consecutive versions, so that a retried append succeeds. Raises `EventIdConflictError` when
 * only some are, or elsewhere; returns undefined when none is stored.
 */
export async function findRetriedAppend(
  pool: pg.Pool,
  streamId: string,
  events: readonly NewEvent[],
): Promise<AppendResult | undefined> {
  const ids = events.map((event) => event.eventId.toLowerCase());
  const { rows } = await pool.query<{
    event_id: string;
    stream_id: string;
    stream_version: string;
    tx_id: string;
    seq: string;
  }>(
    `SELECT event_id, stream_id, stream_version, tx_id::text AS tx_id, seq FROM events
     WHERE event_id = ANY ($1::uuid[])`,
    [ids],
  );
  if (rows.length === 0) return undefined;

  const byId = new Map(rows.map((row) => [row.event_id, row]));
  const first = byId.get(ids[0]!);
  const consecutive =
    rows.length === ids.length &&
    first !== undefined &&
    ids.every((id, index) => {
      const row = byId.get(id);
      return (
        row?.stream_id === streamId &&
        Number(row.stream_version) === Number(first.stream_version) + index
      );
    });
  if (!consecutive) throw new EventIdConflictError(streamId, ids[0]!);

  const last = byId.get(ids.at(-1)!)!;
  return {
    streamId,
    version: Number(last.stream_version),
    position: formatPosition(last.tx_id, last.seq),
  };
}
