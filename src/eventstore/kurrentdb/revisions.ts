import {
  ANY,
  type AppendStreamState,
  type CurrentStreamState,
  NO_STREAM,
  STREAM_EXISTS,
} from "@kurrent/kurrentdb-client";
import { InvalidEventError } from "../errors.ts";
import type { ExpectedVersion } from "../port.ts";

// KurrentDB numbers a stream's events from revision 0; our versions count events, so the
// event at revision r has version r + 1 and a stream at revision r has version r + 1.

/** Maps an expected version to the client's `streamState`; version 0 means no stream. */
export function toStreamState(expected: ExpectedVersion): AppendStreamState {
  if (expected === "no_stream" || expected === 0) return NO_STREAM;
  if (expected === "any") return ANY;
  if (expected === "exists") return STREAM_EXISTS;
  return BigInt(expected - 1);
}

/** Returns the `streamState` that requires a stream of exactly `version` events. */
export function streamStateAt(version: number): AppendStreamState {
  return version === 0 ? NO_STREAM : BigInt(version - 1);
}

/** Maps the client's current stream state to our version: 0 when the stream does not exist. */
export function versionOfState(state: CurrentStreamState): number {
  return state === NO_STREAM ? 0 : Number(state) + 1;
}

/** Maps a record's 0-based revision to its 1-based version. */
export function versionOfRevision(revision: bigint): number {
  return Number(revision) + 1;
}

/** Checks a stream's current version against the version an append expects. */
export function satisfiesExpectedVersion(expected: ExpectedVersion, version: number): boolean {
  if (expected === "any") return true;
  if (expected === "exists") return version > 0;
  if (expected === "no_stream") return version === 0;
  return version === expected;
}

/** Raises `InvalidEventError` for an expected version outside the port's type. */
export function checkExpectedVersion(expected: ExpectedVersion): void {
  if (typeof expected === "number") {
    if (!Number.isSafeInteger(expected) || expected < 0) {
      throw new InvalidEventError(`expected version must be a non-negative integer: ${expected}`);
    }
    return;
  }
  if (expected !== "no_stream" && expected !== "any" && expected !== "exists") {
    throw new InvalidEventError(`unknown expected version: ${String(expected)}`);
  }
}
