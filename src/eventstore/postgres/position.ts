import { InvalidEventError } from "../errors.ts";
import { type Position, START } from "../port.ts";

/** A `$all` position of the PostgreSQL store: transaction id, then sequence within it. */
export interface PostgresPosition {
  txId: string;
  seq: string;
}

const positionPattern = /^(\d{1,20})\.(\d{1,20})$/;

export function formatPosition(txId: string, seq: string): Position {
  return `${txId}.${seq}`;
}

/** Parses a position string; `START` and a missing position are before every event. */
export function parsePosition(position: Position | undefined): PostgresPosition {
  if (position === undefined || position === START) return { txId: "0", seq: "0" };

  const match = positionPattern.exec(position);
  if (!match) throw new InvalidEventError(`invalid position: ${JSON.stringify(position)}`);
  return { txId: match[1]!, seq: match[2]! };
}

export function comparePostgresPositions(a: Position, b: Position): number {
  const left = parsePosition(a);
  const right = parsePosition(b);
  const byTx = compareBigints(BigInt(left.txId), BigInt(right.txId));
  return byTx !== 0 ? byTx : compareBigints(BigInt(left.seq), BigInt(right.seq));
}

function compareBigints(a: bigint, b: bigint): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}
