import type { Position as ClientPosition } from "@kurrent/kurrentdb-client";
import { InvalidEventError } from "../errors.ts";
import { type Position, START } from "../port.ts";

const positionPattern = /^(\d{1,20})\/(\d{1,20})$/;

/** Encodes a KurrentDB `$all` position as `<commit>/<prepare>`. */
export function formatPosition(position: ClientPosition): Position {
  return `${position.commit}/${position.prepare}`;
}

/** Decodes a position string; `START` and a missing position return undefined. */
export function parsePosition(position: Position | undefined): ClientPosition | undefined {
  if (position === undefined || position === START) return undefined;

  const match = positionPattern.exec(position);
  if (!match)
    throw new InvalidEventError(`invalid KurrentDB position: ${JSON.stringify(position)}`);
  return { commit: BigInt(match[1]!), prepare: BigInt(match[2]!) };
}

/**
 * Orders two client positions by commit, then prepare position. The events of one append can
 * share a commit position and differ only in their prepare position.
 */
export function compareClientPositions(a: ClientPosition, b: ClientPosition): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

/** Orders two encoded positions; `START` is before every event. */
export function compareKurrentPositions(a: Position, b: Position): number {
  const left = parsePosition(a);
  const right = parsePosition(b);
  if (!left || !right) return (left ? 1 : 0) - (right ? 1 : 0);
  return compareClientPositions(left, right);
}
