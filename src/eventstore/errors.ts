import type { ExpectedVersion } from "./port.ts";

/** Raised when a stream's version differs from the version the caller expected. */
export class WrongExpectedVersionError extends Error {
  override readonly name = "WrongExpectedVersionError";

  constructor(
    readonly streamId: string,
    readonly expectedVersion: ExpectedVersion,
    /** The stream's version when the append was attempted; 0 for a stream with no events. */
    readonly actualVersion: number,
  ) {
    super(
      `wrong expected version for stream ${streamId}: expected ${expectedVersion}, actual ${actualVersion}`,
    );
  }
}

/** Raised when a claimed unique value is already held by another stream. */
export class ClaimConflictError extends Error {
  override readonly name = "ClaimConflictError";

  constructor(
    readonly streamId: string,
    readonly claimType: string,
  ) {
    super(`claim of type ${claimType} for stream ${streamId} is held by another stream`);
  }
}

/** Raised when an event or its metadata does not have the shape the store requires. */
export class InvalidEventError extends Error {
  override readonly name = "InvalidEventError";
}

/** Raised when re-sent event ids match stored events only in part, or in another stream. */
export class EventIdConflictError extends Error {
  override readonly name = "EventIdConflictError";

  constructor(
    readonly streamId: string,
    readonly eventId: string,
  ) {
    super(`event ${eventId} is already stored, but not as the same append to stream ${streamId}`);
  }
}
