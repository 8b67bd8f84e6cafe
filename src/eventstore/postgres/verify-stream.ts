import { createHash } from "node:crypto";
import type pg from "pg";
import { eventContentHash } from "../canonical-json.ts";
import type { ChainVerification } from "../port.ts";

const genesis = Buffer.alloc(32);

interface StoredRow {
  stream_version: string;
  event_id: string;
  event_type: string;
  schema_version: number;
  data: unknown;
  metadata: unknown;
  recorded_micros: string;
  hash: Buffer;
}

/**
 * Recomputes a stream's hash chain from the stored rows as `append_events` built it (previous
 * hash, content hash, version and append time in microseconds, both 8-byte big-endian), and
 * compares the end of the chain with the stream row, so that a deleted last event shows too.
 */
export async function verifyPostgresStream(
  pool: pg.Pool,
  streamId: string,
): Promise<ChainVerification> {
  const { rows } = await pool.query<StoredRow>(
    `SELECT stream_version, event_id, event_type, schema_version, data, metadata, hash,
       (extract(epoch FROM recorded_at) * 1000000)::bigint::text AS recorded_micros
     FROM events WHERE stream_id = $1 ORDER BY stream_version`,
    [streamId],
  );

  let previous: Buffer = genesis;
  let checked = 0;
  for (const row of rows) {
    checked += 1;
    const link = chainLink(previous, streamId, row);
    if (Number(row.stream_version) !== checked || !link.equals(row.hash)) {
      return { streamId, valid: false, checked, brokenAtVersion: checked };
    }
    previous = link;
  }

  const { rows: stream } = await pool.query<{ version: string; head_hash: Buffer }>(
    "SELECT version, head_hash FROM streams WHERE stream_id = $1",
    [streamId],
  );
  const head = stream[0];
  if (head && (Number(head.version) !== checked || !head.head_hash.equals(previous))) {
    return { streamId, valid: false, checked, brokenAtVersion: checked + 1 };
  }
  return { streamId, valid: true, checked };
}

function chainLink(previous: Buffer, streamId: string, row: StoredRow): Buffer {
  const content = eventContentHash({
    streamId,
    eventId: row.event_id,
    type: row.event_type,
    schemaVersion: row.schema_version,
    data: row.data,
    metadata: row.metadata,
  });
  const position = Buffer.alloc(16);
  position.writeBigInt64BE(BigInt(row.stream_version), 0);
  position.writeBigInt64BE(BigInt(row.recorded_micros), 8);
  return createHash("sha256")
    .update(previous)
    .update(Buffer.from(content, "hex"))
    .update(position)
    .digest();
}
