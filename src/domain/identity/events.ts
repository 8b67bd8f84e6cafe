import type { DomainEvent, Timestamp } from "../event.ts";
import type { AuthenticationMethod, AuthenticatorAssuranceLevel } from "./assurance-level.ts";
import type {
  AddressChannel,
  CredentialsData,
  CredentialType,
  IdentityState,
  JsonValue,
  SessionDevice,
  Traits,
  VerificationStatus,
} from "./model.ts";

/** A verifiable address as events carry it; its times follow from the event. */
export interface VerifiableAddressData {
  id: string;
  value: string;
  via: AddressChannel;
  status: VerificationStatus;
  verified: boolean;
  verifiedAt: Timestamp | null;
}

/** A recovery address as events carry it. */
export interface RecoveryAddressData {
  id: string;
  value: string;
  via: AddressChannel;
}

/** A normalized identifier added to or removed from a credential type. */
export interface IdentifierChange {
  credentialType: CredentialType;
  identifier: string;
}

/** Reason a session ended before its expiry. */
export type SessionRevocationReason =
  /** The identity signed out. */
  | "logout"
  /** The identity revoked it from its session list. */
  | "revoked_by_identity"
  | "revoked_by_admin"
  /** A new session replaced it after re-authentication or step-up. */
  | "superseded"
  | "password_changed"
  | "identity_deactivated"
  | "identity_erased"
  | "identity_deleted";

/** Legal ground for erasing an identity's personal data. */
export type ErasureReason =
  /** The data subject asked for erasure (GDPR Art. 17). */
  "data_subject_request" | "retention_period_expired" | "legal_obligation" | "other";

/** An identity signed up through a self-service registration flow; it starts active. */
export type IdentityRegistered = DomainEvent<
  "IdentityRegistered",
  {
    identityId: string;
    schemaId: string;
    traits: Traits;
    credentials: CredentialsData;
    verifiableAddresses: VerifiableAddressData[];
    recoveryAddresses: RecoveryAddressData[];
    registeredAt: Timestamp;
  }
>;

/** An administrator created or imported an identity, possibly with a hashed password. */
export type IdentityCreated = DomainEvent<
  "IdentityCreated",
  {
    identityId: string;
    schemaId: string;
    state: IdentityState;
    traits: Traits;
    credentials: CredentialsData;
    verifiableAddresses: VerifiableAddressData[];
    recoveryAddresses: RecoveryAddressData[];
    metadataPublic: JsonValue;
    metadataAdmin: JsonValue;
    externalId: string | null;
    createdAt: Timestamp;
  }
>;

/**
 * The traits changed. The event carries the new traits, the identifiers added to and removed
 * from each credential type, and the full new address lists (existing addresses keep their id
 * and verification status).
 */
export type IdentityTraitsUpdated = DomainEvent<
  "IdentityTraitsUpdated",
  {
    identityId: string;
    schemaId: string;
    traits: Traits;
    identifiersAdded: IdentifierChange[];
    identifiersRemoved: IdentifierChange[];
    verifiableAddresses: VerifiableAddressData[];
    recoveryAddresses: RecoveryAddressData[];
    updatedAt: Timestamp;
  }
>;

/** An administrator replaced the public and admin metadata. */
export type IdentityMetadataUpdated = DomainEvent<
  "IdentityMetadataUpdated",
  {
    identityId: string;
    metadataPublic: JsonValue;
    metadataAdmin: JsonValue;
    updatedAt: Timestamp;
  }
>;

/** An administrator set or cleared the external id. */
export type IdentityExternalIdChanged = DomainEvent<
  "IdentityExternalIdChanged",
  { identityId: string; externalId: string | null; changedAt: Timestamp }
>;

/** The password was set or replaced; the password credential exists from then on. */
export type PasswordChanged = DomainEvent<
  "PasswordChanged",
  { identityId: string; hashedPassword: string; changedAt: Timestamp }
>;

/**
 * The identity became inactive. The same append carries one `SessionRevoked` per active session.
 */
export type IdentityDeactivated = DomainEvent<
  "IdentityDeactivated",
  { identityId: string; deactivatedAt: Timestamp }
>;

/** The identity became active again. */
export type IdentityActivated = DomainEvent<
  "IdentityActivated",
  { identityId: string; activatedAt: Timestamp }
>;

/**
 * The identity's personal data was erased: its data key is destroyed and its unique claims are
 * released. The stream accepts no further commands.
 */
export type IdentityErased = DomainEvent<
  "IdentityErased",
  { identityId: string; reason: ErasureReason; erasedAt: Timestamp }
>;

/** An administrator deleted the identity. The stream accepts no further commands. */
export type IdentityDeleted = DomainEvent<
  "IdentityDeleted",
  { identityId: string; deletedAt: Timestamp }
>;

/** A session was issued after a successful sign-in, registration or recovery. */
export type SessionIssued = DomainEvent<
  "SessionIssued",
  {
    identityId: string;
    sessionId: string;
    /** Lower-case hex SHA-256 of the session token. */
    tokenHash: string;
    aal: AuthenticatorAssuranceLevel;
    authenticationMethods: AuthenticationMethod[];
    issuedAt: Timestamp;
    authenticatedAt: Timestamp;
    expiresAt: Timestamp;
    device: SessionDevice;
  }
>;

/** A session's expiry moved to `expiresAt`. */
export type SessionRefreshed = DomainEvent<
  "SessionRefreshed",
  { identityId: string; sessionId: string; expiresAt: Timestamp; refreshedAt: Timestamp }
>;

/** A session ended before its expiry. */
export type SessionRevoked = DomainEvent<
  "SessionRevoked",
  {
    identityId: string;
    sessionId: string;
    reason: SessionRevocationReason;
    revokedAt: Timestamp;
  }
>;

/** An address was verified, by a code or link sent to it or by an administrator. */
export type AddressVerified = DomainEvent<
  "AddressVerified",
  {
    identityId: string;
    addressId: string;
    via: AddressChannel;
    value: string;
    verifiedAt: Timestamp;
  }
>;

/** Courier template of a verification message, in Kratos's names: a code or a link. */
export type VerificationTemplate = "verification_code_valid" | "verification_valid";

/** Courier template of a recovery message, in Kratos's names: a code or a link. */
export type RecoveryTemplate = "recovery_code_valid" | "recovery_valid";

/**
 * Data of a request for the courier to send a code or a link to one of the identity's
 * addresses. The code or link itself is not part of it, because the event log must never hold
 * a usable secret. The flow stores it encrypted outside the log, keyed by `messageId`.
 */
export interface MessageRequestData<Template extends string> {
  identityId: string;
  /** Id of the message, which the courier's read model and its stream use. */
  messageId: string;
  /** The self-service flow that the code or link completes. */
  flowId: string;
  template: Template;
  addressId: string;
  via: AddressChannel;
  /** Normalized recipient address. */
  address: string;
  /** Time after which the code or link no longer works. */
  expiresAt: Timestamp;
  requestedAt: Timestamp;
}

/**
 * A verification code or link was requested for a verifiable address. The address's status
 * becomes `sent` unless it is verified already.
 */
export type VerificationMessageRequested = DomainEvent<
  "VerificationMessageRequested",
  MessageRequestData<VerificationTemplate>
>;

/** A recovery code or link was requested for a recovery address. The identity is unchanged. */
export type RecoveryMessageRequested = DomainEvent<
  "RecoveryMessageRequested",
  MessageRequestData<RecoveryTemplate>
>;

/** Every event of an identity stream. */
export type IdentityEvent =
  | IdentityRegistered
  | IdentityCreated
  | IdentityTraitsUpdated
  | IdentityMetadataUpdated
  | IdentityExternalIdChanged
  | PasswordChanged
  | IdentityDeactivated
  | IdentityActivated
  | IdentityErased
  | IdentityDeleted
  | SessionIssued
  | SessionRefreshed
  | SessionRevoked
  | AddressVerified
  | VerificationMessageRequested
  | RecoveryMessageRequested;

/** Type name of an identity stream event. */
export type IdentityEventType = IdentityEvent["type"];

/** Event types of the identity stream, for filters such as `readAll({ types })`. */
export const identityEventTypes: readonly IdentityEventType[] = [
  "IdentityRegistered",
  "IdentityCreated",
  "IdentityTraitsUpdated",
  "IdentityMetadataUpdated",
  "IdentityExternalIdChanged",
  "PasswordChanged",
  "IdentityDeactivated",
  "IdentityActivated",
  "IdentityErased",
  "IdentityDeleted",
  "SessionIssued",
  "SessionRefreshed",
  "SessionRevoked",
  "AddressVerified",
  "VerificationMessageRequested",
  "RecoveryMessageRequested",
];
