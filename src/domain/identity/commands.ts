import type { Timestamp } from "../event.ts";
import type { AuthenticationMethod } from "./assurance-level.ts";
import type { ErasureReason, SessionRevocationReason } from "./events.ts";
import type {
  AddressChannel,
  CredentialType,
  IdentityState,
  JsonValue,
  SessionDevice,
  Traits,
  VerificationStatus,
} from "./model.ts";

/**
 * An address the caller extracted from the traits through the identity schema. `id` is a fresh
 * UUID that is used only when no existing address has the same channel and value.
 */
export interface AddressInput {
  id: string;
  value: string;
  via: AddressChannel;
}

/** A verifiable address from an administrator, who may mark it verified. */
export interface VerifiableAddressInput extends AddressInput {
  verified?: boolean;
  status?: VerificationStatus;
  /** Time of the verification; the command time when omitted. */
  verifiedAt?: Timestamp;
}

/** Identifiers per credential type, as the schema's `credentials.<type>.identifier` marks them. */
export type CredentialIdentifiers = { [Type in CredentialType]?: string[] };

/** Signs up a new identity through a self-service flow. */
export interface RegisterIdentity {
  type: "RegisterIdentity";
  identityId: string;
  schemaId: string;
  traits: Traits;
  identifiers: CredentialIdentifiers;
  /** Password credential; the only registration method so far, so it is required in practice. */
  password?: { hashedPassword: string };
  verifiableAddresses: AddressInput[];
  recoveryAddresses: AddressInput[];
  now: Timestamp;
}

/** Creates or imports an identity through the admin API. */
export interface CreateIdentity {
  type: "CreateIdentity";
  identityId: string;
  schemaId: string;
  traits: Traits;
  /** `active` when omitted. */
  state?: IdentityState;
  identifiers: CredentialIdentifiers;
  /** A hash made by the command layer, or an imported hash that `parsePasswordHash` accepts. */
  password?: { hashedPassword: string };
  verifiableAddresses: VerifiableAddressInput[];
  recoveryAddresses: AddressInput[];
  metadataPublic?: JsonValue;
  metadataAdmin?: JsonValue;
  externalId?: string | null;
  now: Timestamp;
}

/** Replaces the traits; identifiers and addresses are recomputed by the caller from the schema. */
export interface UpdateTraits {
  type: "UpdateTraits";
  identityId: string;
  /** The identity's current schema when omitted. */
  schemaId?: string;
  traits: Traits;
  identifiers: CredentialIdentifiers;
  verifiableAddresses: AddressInput[];
  recoveryAddresses: AddressInput[];
  now: Timestamp;
}

/** Replaces public and admin metadata; an omitted field stays as it is. */
export interface SetMetadata {
  type: "SetMetadata";
  identityId: string;
  metadataPublic?: JsonValue;
  metadataAdmin?: JsonValue;
  now: Timestamp;
}

/**
 * Replaces an identity as a whole, for admin PUT and for JSON Patch applied by the caller.
 * Only the parts that differ produce events.
 */
export interface ReplaceIdentity {
  type: "ReplaceIdentity";
  identityId: string;
  schemaId: string;
  traits: Traits;
  state: IdentityState;
  identifiers: CredentialIdentifiers;
  verifiableAddresses: VerifiableAddressInput[];
  recoveryAddresses: AddressInput[];
  metadataPublic: JsonValue;
  metadataAdmin: JsonValue;
  externalId: string | null;
  /** A new password hash; the current password stays when omitted. */
  password?: { hashedPassword: string };
  now: Timestamp;
}

/** Sets or replaces the password with a hash made by the command layer. */
export interface ChangePassword {
  type: "ChangePassword";
  identityId: string;
  hashedPassword: string;
  /** Revokes every active session except `exceptSessionId`, as ASVS 7.4.3 lets an identity do. */
  revokeOtherSessions?: { exceptSessionId?: string };
  /**
   * The hash this change replaces. When the identity's hash differs, another change came first
   * and this one is rejected, so that a rehash after login cannot undo a password change.
   */
  replacesHash?: string;
  now: Timestamp;
}

/** Makes the identity inactive and revokes its active sessions. */
export interface DeactivateIdentity {
  type: "DeactivateIdentity";
  identityId: string;
  now: Timestamp;
}

/** Makes an inactive identity active again. */
export interface ActivateIdentity {
  type: "ActivateIdentity";
  identityId: string;
  now: Timestamp;
}

/** Erases the identity's personal data (crypto-shredding) and ends its sessions. */
export interface EraseIdentity {
  type: "EraseIdentity";
  identityId: string;
  reason: ErasureReason;
  now: Timestamp;
}

/** Deletes the identity (admin DELETE) and ends its sessions. */
export interface DeleteIdentity {
  type: "DeleteIdentity";
  identityId: string;
  now: Timestamp;
}

/** Issues a session to an active identity. */
export interface IssueSession {
  type: "IssueSession";
  identityId: string;
  sessionId: string;
  /** Lower-case hex SHA-256 of the session token. */
  tokenHash: string;
  /** At least one completed method; the session's assurance level follows from them. */
  authenticationMethods: AuthenticationMethod[];
  /** Time of the last authentication; the latest `completedAt` when omitted. */
  authenticatedAt?: Timestamp;
  expiresAt: Timestamp;
  device: SessionDevice;
  /** A session that this one replaces after re-authentication; it is revoked as superseded. */
  supersedesSessionId?: string;
  /**
   * The password hash a login verified. When the identity's hash differs by the time the
   * session is issued, the password was changed in between, and no session is issued.
   */
  verifiedPasswordHash?: string;
  now: Timestamp;
}

/** Moves an active session's expiry. */
export interface RefreshSession {
  type: "RefreshSession";
  identityId: string;
  sessionId: string;
  expiresAt: Timestamp;
  now: Timestamp;
}

/** Revokes one session. */
export interface RevokeSession {
  type: "RevokeSession";
  identityId: string;
  sessionId: string;
  reason: SessionRevocationReason;
  now: Timestamp;
}

/**
 * Revokes those of the listed sessions that are still active, for Kratos's bulk
 * `POST /admin/sessions`. Ids that name no session of the identity are skipped.
 */
export interface RevokeSessions {
  type: "RevokeSessions";
  identityId: string;
  sessionIds: string[];
  reason: SessionRevocationReason;
  now: Timestamp;
}

/** Revokes every active session except the caller's own (Kratos's `DELETE /sessions`). */
export interface RevokeOtherSessions {
  type: "RevokeOtherSessions";
  identityId: string;
  keepSessionId: string;
  now: Timestamp;
}

/** Revokes every active session (Kratos's `DELETE /admin/identities/{id}/sessions`). */
export interface RevokeAllSessions {
  type: "RevokeAllSessions";
  identityId: string;
  reason: SessionRevocationReason;
  now: Timestamp;
}

/** Marks the verifiable address with this channel and value as verified. */
export interface MarkAddressVerified {
  type: "MarkAddressVerified";
  identityId: string;
  via: AddressChannel;
  value: string;
  now: Timestamp;
}

/** Fields shared by the commands that ask the courier to send a code or a link. */
interface RequestMessageFields<Template extends string> {
  identityId: string;
  messageId: string;
  flowId: string;
  template: Template;
  /** Only `email` so far, because the courier sends email only. */
  via: AddressChannel;
  /** The recipient address; it is normalized before it is matched. */
  address: string;
  /** Six decimal digits, for code templates. */
  code?: string;
  /** Absolute http(s) URL, for link templates. */
  link?: string;
  expiresAt: Timestamp;
  now: Timestamp;
}

/** Sends a verification code or link to one of the identity's verifiable addresses. */
export interface RequestVerificationMessage
  extends RequestMessageFields<"verification_code_valid" | "verification_valid"> {
  type: "RequestVerificationMessage";
}

/** Sends a recovery code or link to one of an active identity's recovery addresses. */
export interface RequestRecoveryMessage
  extends RequestMessageFields<"recovery_code_valid" | "recovery_valid"> {
  type: "RequestRecoveryMessage";
}

/** Every command on an identity stream. */
export type IdentityCommand =
  | RegisterIdentity
  | CreateIdentity
  | UpdateTraits
  | SetMetadata
  | ReplaceIdentity
  | ChangePassword
  | DeactivateIdentity
  | ActivateIdentity
  | EraseIdentity
  | DeleteIdentity
  | IssueSession
  | RefreshSession
  | RevokeSession
  | RevokeSessions
  | RevokeOtherSessions
  | RevokeAllSessions
  | MarkAddressVerified
  | RequestVerificationMessage
  | RequestRecoveryMessage;
