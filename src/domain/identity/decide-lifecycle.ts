import type { Timestamp } from "../event.ts";
import type {
  ActivateIdentity,
  DeactivateIdentity,
  DeleteIdentity,
  EraseIdentity,
} from "./commands.ts";
import { accept, type Decision } from "./decision.ts";
import { isDomainError } from "./errors.ts";
import type { IdentityEvent } from "./events.ts";
import { requireExisting } from "./guards.ts";
import { activeSessions, revokeSessions } from "./session-revocation.ts";
import type { ExistingIdentity, IdentityStreamState } from "./state.ts";

/**
 * Decides a deactivation: `IdentityDeactivated` followed by one `SessionRevoked` per active
 * session, so the sessions read model needs no knowledge of identity states. Deactivating an
 * inactive identity changes nothing.
 */
export function decideDeactivateIdentity(
  command: DeactivateIdentity,
  state: IdentityStreamState,
): Decision {
  const existing = requireExisting(state, command.identityId);
  if (isDomainError(existing)) {
    return existing;
  }
  if (existing.identity.state === "inactive") {
    return accept();
  }
  return accept(...deactivationEvents(existing, command.now));
}

/** Decides an activation; activating an active identity changes nothing. */
export function decideActivateIdentity(
  command: ActivateIdentity,
  state: IdentityStreamState,
): Decision {
  const existing = requireExisting(state, command.identityId);
  if (isDomainError(existing)) {
    return existing;
  }
  if (existing.identity.state === "active") {
    return accept();
  }
  return accept({
    type: "IdentityActivated",
    data: { identityId: command.identityId, activatedAt: command.now },
  });
}

/**
 * Decides an erasure: one `SessionRevoked` per active session, then `IdentityErased`. The
 * command layer destroys the data key and releases the claims in the same append.
 */
export function decideEraseIdentity(command: EraseIdentity, state: IdentityStreamState): Decision {
  const existing = requireExisting(state, command.identityId);
  if (isDomainError(existing)) {
    return existing;
  }
  return accept(
    ...revokeSessions(
      existing,
      activeSessions(existing, command.now),
      "identity_erased",
      command.now,
    ),
    {
      type: "IdentityErased",
      data: { identityId: command.identityId, reason: command.reason, erasedAt: command.now },
    },
  );
}

/** Decides an admin deletion: one `SessionRevoked` per active session, then `IdentityDeleted`. */
export function decideDeleteIdentity(
  command: DeleteIdentity,
  state: IdentityStreamState,
): Decision {
  const existing = requireExisting(state, command.identityId);
  if (isDomainError(existing)) {
    return existing;
  }
  return accept(
    ...revokeSessions(
      existing,
      activeSessions(existing, command.now),
      "identity_deleted",
      command.now,
    ),
    { type: "IdentityDeleted", data: { identityId: command.identityId, deletedAt: command.now } },
  );
}

/** Builds the events that deactivate an active identity and end its sessions. */
export function deactivationEvents(existing: ExistingIdentity, now: Timestamp): IdentityEvent[] {
  return [
    {
      type: "IdentityDeactivated",
      data: { identityId: existing.identity.id, deactivatedAt: now },
    },
    ...revokeSessions(existing, activeSessions(existing, now), "identity_deactivated", now),
  ];
}
