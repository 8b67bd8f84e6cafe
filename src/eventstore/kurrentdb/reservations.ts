import {
  type AppendStreamState,
  type RecordedEvent as ClientRecordedEvent,
  WrongExpectedVersionError as ClientWrongExpectedVersionError,
  jsonEvent,
  NO_STREAM,
} from "@kurrent/kurrentdb-client";
import type { Claim } from "../port.ts";
import { appendOrRaise, type KurrentDbClient } from "./client.ts";
import { readLastRecord } from "./stream-records.ts";

// Each unique value has a reservation stream of its own. Its last event decides the owner:
// `ClaimReserved` names the owning stream, `ClaimReleased` frees the value. KurrentDB checks
// the expected revision atomically per stream, so of two concurrent reservations one fails.

/** Prefix of every reservation stream; `readAll` hides these streams. */
export const reservationStreamPrefix = "reservation-";

const reservedType = "ClaimReserved";
const releasedType = "ClaimReleased";
const maxReserveAttempts = 5;

/**
 * Names the reservation stream of a claim: `reservation-<type>-<key>`. The type is
 * percent-encoded with `-` escaped too, so the first `-` after it always ends it and two
 * different claims never share a stream.
 */
export function claimStreamName(claim: Claim): string {
  const type = encodeURIComponent(claim.type).replaceAll("-", "%2D");
  return `${reservationStreamPrefix}${type}-${claim.key}`;
}

/**
 * Names the reservation stream of an event id, which records the stream that stores the
 * event. `$` never appears in an encoded claim type, so these names cannot clash with claims.
 */
export function eventIdStreamName(eventId: string): string {
  return `${reservationStreamPrefix}$event-${eventId.toLowerCase()}`;
}

/** A reservation that this process wrote, so compensation can release exactly it. */
export interface Reservation {
  streamName: string;
  holder: string;
  revision: bigint;
}

export type ReserveOutcome =
  | { status: "reserved"; reservation: Reservation }
  | { status: "held" }
  | { status: "taken"; holder: string };

/** Reserves and releases unique values through reservation streams. */
export class ReservationStreams {
  readonly #client: KurrentDbClient;

  constructor(client: KurrentDbClient) {
    this.#client = client;
  }

  /**
   * Reserves a value for `holder`. Returns `held` when the holder already has it and `taken`
   * when another stream has it. The first attempt expects no stream, so a free value costs one
   * write. After a release, it reserves again at the release's revision.
   */
  async reserve(streamName: string, holder: string): Promise<ReserveOutcome> {
    let streamState: AppendStreamState = NO_STREAM;
    for (let attempt = 1; attempt <= maxReserveAttempts; attempt += 1) {
      try {
        const event = jsonEvent({ type: reservedType, data: { streamId: holder } });
        const result = await appendOrRaise(this.#client, streamName, [event], streamState);
        return {
          status: "reserved",
          reservation: { streamName, holder, revision: result.nextExpectedRevision },
        };
      } catch (error) {
        if (!(error instanceof ClientWrongExpectedVersionError)) throw error;
      }

      const last = await readLastRecord(this.#client, streamName);
      const current = last && holderOf(last);
      if (current !== undefined) {
        return current === holder ? { status: "held" } : { status: "taken", holder: current };
      }
      streamState = last ? last.revision : NO_STREAM;
    }
    throw new Error(
      `reservation stream ${streamName} changed ${maxReserveAttempts} times during one ` +
        "reservation; retry the append",
    );
  }

  /**
   * Releases a reservation this process wrote. It expects the reservation's own revision, so
   * a value that was released and reserved again by someone else in between stays theirs.
   */
  async release(reservation: Reservation): Promise<void> {
    await this.#appendRelease(reservation.streamName, reservation.holder, reservation.revision);
  }

  /** Releases a value if `holder` holds it, and does nothing otherwise. */
  async releaseHeld(streamName: string, holder: string): Promise<void> {
    const last = await readLastRecord(this.#client, streamName);
    if (!last || holderOf(last) !== holder) return;
    await this.#appendRelease(streamName, holder, last.revision);
  }

  async #appendRelease(streamName: string, holder: string, revision: bigint): Promise<void> {
    try {
      const event = jsonEvent({ type: releasedType, data: { streamId: holder } });
      await appendOrRaise(this.#client, streamName, [event], revision);
    } catch (error) {
      // The reservation moved on since it was read, so it is no longer this holder's to release.
      if (!(error instanceof ClientWrongExpectedVersionError)) throw error;
    }
  }
}

function holderOf(record: ClientRecordedEvent): string | undefined {
  if (record.type !== reservedType) return undefined;
  const data = record.data as { streamId?: unknown } | undefined;
  return typeof data?.streamId === "string" ? data.streamId : undefined;
}
