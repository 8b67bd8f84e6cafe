import type { Timestamp } from "../event.ts";
import { toRecoveryAddresses, toVerifiableAddresses } from "./addresses.ts";
import { applyIdentifierChanges, buildCredentials, setPasswordHash } from "./credentials.ts";
import { withoutErasedFields } from "./erased-fields.ts";
import type { IdentityCreated, IdentityEvent, IdentityRegistered } from "./events.ts";
import { evolveSessions } from "./evolve-sessions.ts";
import type { Identity } from "./model.ts";
import { type ExistingIdentity, type IdentityStreamState, initialIdentityState } from "./state.ts";

/**
 * Applies one event to the state and returns the new state without changing the old one.
 * An event that does not fit the state, such as a session event before the identity exists,
 * leaves the state as it is, because recorded history cannot be refused.
 */
export function evolveIdentity(
  state: IdentityStreamState,
  recorded: IdentityEvent,
): IdentityStreamState {
  const event = withoutErasedFields(recorded);
  switch (event.type) {
    case "IdentityRegistered":
    case "IdentityCreated":
      return state.status === "none" ? createIdentity(event) : state;
    case "IdentityErased":
      return removeIdentity(state, "erased", event.data.erasedAt);
    case "IdentityDeleted":
      return removeIdentity(state, "deleted", event.data.deletedAt);
    case "SessionIssued":
    case "SessionRefreshed":
    case "SessionRevoked":
      return state.status === "existing" ? evolveSessions(state, event) : state;
    default:
      return state.status === "existing"
        ? { ...state, identity: evolveExisting(state.identity, event) }
        : state;
  }
}

/** Folds a stream's events, oldest first, into its state. */
export function foldIdentity(events: readonly IdentityEvent[]): IdentityStreamState {
  return events.reduce(evolveIdentity, initialIdentityState);
}

function createIdentity(event: IdentityRegistered | IdentityCreated): ExistingIdentity {
  const { data } = event;
  const at = event.type === "IdentityRegistered" ? event.data.registeredAt : event.data.createdAt;
  const identity: Identity = {
    id: data.identityId,
    schemaId: data.schemaId,
    state: event.type === "IdentityCreated" ? event.data.state : "active",
    stateChangedAt: at,
    traits: structuredClone(data.traits),
    credentials: buildCredentials(data.credentials, at),
    verifiableAddresses: toVerifiableAddresses(data.verifiableAddresses, [], at),
    recoveryAddresses: toRecoveryAddresses(data.recoveryAddresses, [], at),
    metadataPublic:
      event.type === "IdentityCreated" ? structuredClone(event.data.metadataPublic) : null,
    metadataAdmin:
      event.type === "IdentityCreated" ? structuredClone(event.data.metadataAdmin) : null,
    externalId: event.type === "IdentityCreated" ? event.data.externalId : null,
    createdAt: at,
    updatedAt: at,
  };
  return { status: "existing", identity, sessions: new Map() };
}

function removeIdentity(
  state: IdentityStreamState,
  removal: "erased" | "deleted",
  removedAt: Timestamp,
): IdentityStreamState {
  if (state.status !== "existing") {
    return state;
  }
  return { status: "removed", identityId: state.identity.id, removal, removedAt };
}

type IdentityChange = Exclude<
  IdentityEvent,
  {
    type:
      | "IdentityRegistered"
      | "IdentityCreated"
      | "IdentityErased"
      | "IdentityDeleted"
      | "SessionIssued"
      | "SessionRefreshed"
      | "SessionRevoked";
  }
>;

function evolveExisting(identity: Identity, event: IdentityChange): Identity {
  switch (event.type) {
    case "IdentityTraitsUpdated": {
      const { data } = event;
      return {
        ...identity,
        schemaId: data.schemaId,
        traits: structuredClone(data.traits),
        credentials: applyIdentifierChanges(
          identity.credentials,
          data.identifiersAdded,
          data.identifiersRemoved,
          data.updatedAt,
        ),
        verifiableAddresses: toVerifiableAddresses(
          data.verifiableAddresses,
          identity.verifiableAddresses,
          data.updatedAt,
        ),
        recoveryAddresses: toRecoveryAddresses(
          data.recoveryAddresses,
          identity.recoveryAddresses,
          data.updatedAt,
        ),
        updatedAt: data.updatedAt,
      };
    }
    case "IdentityMetadataUpdated":
      return {
        ...identity,
        metadataPublic: structuredClone(event.data.metadataPublic),
        metadataAdmin: structuredClone(event.data.metadataAdmin),
        updatedAt: event.data.updatedAt,
      };
    case "IdentityExternalIdChanged":
      return { ...identity, externalId: event.data.externalId, updatedAt: event.data.changedAt };
    case "PasswordChanged":
      return {
        ...identity,
        credentials: setPasswordHash(
          identity.credentials,
          event.data.hashedPassword,
          event.data.changedAt,
        ),
        updatedAt: event.data.changedAt,
      };
    case "IdentityDeactivated":
      return changeState(identity, "inactive", event.data.deactivatedAt);
    case "IdentityActivated":
      return changeState(identity, "active", event.data.activatedAt);
    case "AddressVerified":
      return {
        ...identity,
        verifiableAddresses: identity.verifiableAddresses.map((address) =>
          address.id === event.data.addressId
            ? {
                ...address,
                status: "completed",
                verified: true,
                verifiedAt: event.data.verifiedAt,
                updatedAt: event.data.verifiedAt,
              }
            : address,
        ),
        updatedAt: event.data.verifiedAt,
      };
    case "VerificationMessageRequested":
      return markAddressSent(identity, event.data.addressId, event.data.requestedAt);
    case "RecoveryMessageRequested":
      return identity;
  }
}

/** Moves an unverified address to `sent`, while a verified address stays `completed`. */
function markAddressSent(identity: Identity, addressId: string, at: Timestamp): Identity {
  return {
    ...identity,
    verifiableAddresses: identity.verifiableAddresses.map((address) =>
      address.id === addressId && !address.verified && address.status !== "sent"
        ? { ...address, status: "sent", updatedAt: at }
        : address,
    ),
  };
}

function changeState(identity: Identity, state: Identity["state"], at: Timestamp): Identity {
  return { ...identity, state, stateChangedAt: at, updatedAt: at };
}
