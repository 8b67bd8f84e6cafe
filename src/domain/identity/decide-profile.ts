import type { Timestamp } from "../event.ts";
import { resolveRecoveryAddresses, resolveVerifiableAddresses } from "./addresses.ts";
import type {
  AddressInput,
  CredentialIdentifiers,
  ReplaceIdentity,
  SetMetadata,
  UpdateTraits,
  VerifiableAddressInput,
} from "./commands.ts";
import { diffIdentifiers, identifiersOf } from "./credentials.ts";
import { normalizeExternalId } from "./decide-creation.ts";
import { deactivationEvents } from "./decide-lifecycle.ts";
import { accept, type Decision } from "./decision.ts";
import { type DomainError, isDomainError } from "./errors.ts";
import type { IdentityEvent, IdentityTraitsUpdated } from "./events.ts";
import {
  checkPasswordHash,
  jsonEqual,
  normalizeCredentialIdentifiers,
  requireExisting,
} from "./guards.ts";
import type { Traits } from "./model.ts";
import { activeSessions, revokeSessions } from "./session-revocation.ts";
import type { ExistingIdentity, IdentityStreamState } from "./state.ts";

/**
 * Decides a traits update. An address whose value stays keeps its verification status. The
 * decision is empty when traits, schema, identifiers and addresses are all unchanged.
 */
export function decideUpdateTraits(command: UpdateTraits, state: IdentityStreamState): Decision {
  const existing = requireExisting(state, command.identityId);
  if (isDomainError(existing)) {
    return existing;
  }

  const verifiable = command.verifiableAddresses.map(({ id, value, via }) => ({ id, value, via }));
  const event = traitsUpdate(existing, { ...command, verifiableAddresses: verifiable });
  if (event !== null && isDomainError(event)) {
    return event;
  }
  return accept(...(event ? [event] : []));
}

/** Decides a metadata change. The decision is empty when both values stay the same. */
export function decideSetMetadata(command: SetMetadata, state: IdentityStreamState): Decision {
  const existing = requireExisting(state, command.identityId);
  if (isDomainError(existing)) {
    return existing;
  }

  const { identity } = existing;
  const metadataPublic =
    command.metadataPublic === undefined ? identity.metadataPublic : command.metadataPublic;
  const metadataAdmin =
    command.metadataAdmin === undefined ? identity.metadataAdmin : command.metadataAdmin;
  if (
    jsonEqual(metadataPublic, identity.metadataPublic) &&
    jsonEqual(metadataAdmin, identity.metadataAdmin)
  ) {
    return accept();
  }

  return accept({
    type: "IdentityMetadataUpdated",
    data: {
      identityId: identity.id,
      metadataPublic: structuredClone(metadataPublic),
      metadataAdmin: structuredClone(metadataAdmin),
      updatedAt: command.now,
    },
  });
}

/**
 * Decides an admin replacement (PUT, or PATCH applied by the caller). It emits one event per
 * part that differs: traits, metadata, external id, password, then the state change, whose
 * deactivation also revokes the active sessions.
 */
export function decideReplaceIdentity(
  command: ReplaceIdentity,
  state: IdentityStreamState,
): Decision {
  const existing = requireExisting(state, command.identityId);
  if (isDomainError(existing)) {
    return existing;
  }
  const hashProblem = command.password
    ? checkPasswordHash(command.password.hashedPassword, "credentials.password.hashed_password")
    : null;
  if (hashProblem) {
    return hashProblem;
  }

  const traitsEvent = traitsUpdate(existing, command);
  if (traitsEvent !== null && isDomainError(traitsEvent)) {
    return traitsEvent;
  }

  const events: IdentityEvent[] = traitsEvent ? [traitsEvent] : [];
  const metadata = decideSetMetadata({ ...command, type: "SetMetadata" }, state);
  if (!isDomainError(metadata)) {
    events.push(...metadata.events);
  }
  events.push(...replacementTail(existing, command));
  return accept(...events);
}

function replacementTail(existing: ExistingIdentity, command: ReplaceIdentity): IdentityEvent[] {
  const { identity } = existing;
  const events: IdentityEvent[] = [];
  const externalId = normalizeExternalId(command.externalId);
  if (externalId !== identity.externalId) {
    events.push({
      type: "IdentityExternalIdChanged",
      data: { identityId: identity.id, externalId, changedAt: command.now },
    });
  }
  const deactivates = command.state === "inactive" && identity.state === "active";
  if (command.password) {
    events.push({
      type: "PasswordChanged",
      data: {
        identityId: identity.id,
        hashedPassword: command.password.hashedPassword,
        changedAt: command.now,
      },
    });
    // An administrator who sets a password ends every session, which may rest on the old one;
    // a deactivation below revokes them anyway.
    if (!deactivates) {
      const sessions = activeSessions(existing, command.now);
      events.push(...revokeSessions(existing, sessions, "password_changed", command.now));
    }
  }

  if (deactivates) {
    events.push(...deactivationEvents(existing, command.now));
  }
  if (command.state === "active" && identity.state === "inactive") {
    events.push({
      type: "IdentityActivated",
      data: { identityId: identity.id, activatedAt: command.now },
    });
  }
  return events;
}

interface TraitsChange {
  schemaId?: string;
  traits: Traits;
  identifiers: CredentialIdentifiers;
  verifiableAddresses: VerifiableAddressInput[];
  recoveryAddresses: AddressInput[];
  now: Timestamp;
}

/** Builds the traits event, or null when nothing it covers would change. */
function traitsUpdate(
  existing: ExistingIdentity,
  change: TraitsChange,
): IdentityTraitsUpdated | DomainError | null {
  const { identity } = existing;
  const schemaId = change.schemaId ?? identity.schemaId;
  if (schemaId.length === 0) {
    return { code: "invalid_argument", field: "schema_id", reason: "the schema id is empty" };
  }
  const identifiers = normalizeCredentialIdentifiers(change.identifiers);
  if (isDomainError(identifiers)) {
    return identifiers;
  }
  const verifiableAddresses = resolveVerifiableAddresses(
    change.verifiableAddresses,
    identity.verifiableAddresses,
    change.now,
  );
  if (isDomainError(verifiableAddresses)) {
    return verifiableAddresses;
  }
  const recoveryAddresses = resolveRecoveryAddresses(
    change.recoveryAddresses,
    identity.recoveryAddresses,
  );
  if (isDomainError(recoveryAddresses)) {
    return recoveryAddresses;
  }

  const { added, removed } = diffIdentifiers(identifiersOf(identity.credentials), identifiers);
  const currentVerifiable = identity.verifiableAddresses.map(
    ({ id, value, via, status, verified, verifiedAt }) => ({
      id,
      value,
      via,
      status,
      verified,
      verifiedAt,
    }),
  );
  const currentRecovery = identity.recoveryAddresses.map(({ id, value, via }) => ({
    id,
    value,
    via,
  }));
  const unchanged =
    schemaId === identity.schemaId &&
    jsonEqual(change.traits, identity.traits) &&
    added.length === 0 &&
    removed.length === 0 &&
    jsonEqual(verifiableAddresses, currentVerifiable) &&
    jsonEqual(recoveryAddresses, currentRecovery);
  if (unchanged) {
    return null;
  }

  return {
    type: "IdentityTraitsUpdated",
    data: {
      identityId: identity.id,
      schemaId,
      traits: structuredClone(change.traits),
      identifiersAdded: added,
      identifiersRemoved: removed,
      verifiableAddresses,
      recoveryAddresses,
      updatedAt: change.now,
    },
  };
}
