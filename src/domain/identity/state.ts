import type { Timestamp } from "../event.ts";
import type { Identity, Session } from "./model.ts";

/** State of a stream that has no events yet. */
export interface NoIdentity {
  status: "none";
}

/** State of a stream whose identity exists, active or inactive. */
export interface ExistingIdentity {
  status: "existing";
  identity: Identity;
  /**
   * Sessions by id, in issue order. Issuing a session prunes every session expired by then,
   * revoked or not, so a revoked session stays until that pruning and revoking it again changes
   * nothing.
   */
  sessions: ReadonlyMap<string, Session>;
}

/** State of a stream whose identity was erased or deleted; every command is rejected. */
export interface RemovedIdentity {
  status: "removed";
  identityId: string;
  removal: "erased" | "deleted";
  removedAt: Timestamp;
}

/** State folded from an identity stream's events. */
export type IdentityStreamState = NoIdentity | ExistingIdentity | RemovedIdentity;

/** State before the first event. */
export const initialIdentityState: IdentityStreamState = Object.freeze({ status: "none" });
