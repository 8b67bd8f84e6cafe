import type { IdentityEvent, IdentityEventType } from "./events.ts";

/** Names of the data fields of each event type that hold personal data. */
export type PersonalFieldMap = {
  [Event in IdentityEvent as Event["type"]]: readonly (keyof Event["data"] & string)[];
};

/**
 * Top-level data fields that the command layer encrypts under the identity's data key, so that
 * erasing the identity makes them unreadable. Credentials are encrypted whole because they hold
 * identifiers and password hashes. Ids, times, states and reasons stay in plaintext for audit.
 */
export const personalFields: PersonalFieldMap = {
  IdentityRegistered: ["traits", "credentials", "verifiableAddresses", "recoveryAddresses"],
  IdentityCreated: [
    "traits",
    "credentials",
    "verifiableAddresses",
    "recoveryAddresses",
    "metadataPublic",
    "metadataAdmin",
    "externalId",
  ],
  IdentityTraitsUpdated: [
    "traits",
    "identifiersAdded",
    "identifiersRemoved",
    "verifiableAddresses",
    "recoveryAddresses",
  ],
  IdentityMetadataUpdated: ["metadataPublic", "metadataAdmin"],
  IdentityExternalIdChanged: ["externalId"],
  PasswordChanged: ["hashedPassword"],
  IdentityDeactivated: [],
  IdentityActivated: [],
  IdentityErased: [],
  IdentityDeleted: [],
  SessionIssued: ["device"],
  SessionRefreshed: [],
  SessionRevoked: [],
  AddressVerified: ["value"],
  VerificationMessageRequested: ["address"],
  RecoveryMessageRequested: ["address"],
};

/** Returns the personal data fields of an event type; unknown types have none. */
export function personalFieldsOf(type: string): readonly string[] {
  return Object.hasOwn(personalFields, type) ? personalFields[type as IdentityEventType] : [];
}
