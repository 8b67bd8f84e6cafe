import type { Timestamp } from "../event.ts";
import type { AuthenticationMethod, AuthenticatorAssuranceLevel } from "./assurance-level.ts";

/** Kratos's identity state: an inactive identity cannot sign in and has no sessions. */
export type IdentityState = "active" | "inactive";

/** Credential types as Kratos names them in `identity.credentials`. */
export type CredentialType =
  | "password"
  | "oidc"
  | "totp"
  | "lookup_secret"
  | "webauthn"
  | "code"
  | "passkey"
  | "saml";

/** Channel that delivers messages to an address (Kratos's `via`). */
export type AddressChannel = "email" | "sms";

/** Verification progress of an address: `sent` once a code went out, `completed` when verified. */
export type VerificationStatus = "pending" | "sent" | "completed";

/** JSON value stored as given, such as `metadata_public`. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

/** Traits object validated against the identity's JSON schema by the caller. */
export type Traits = { [key: string]: JsonValue };

/** Configuration of a password credential. */
export interface PasswordConfig {
  /**
   * PHC-style hash: argon2id for new passwords, or an imported argon2i, bcrypt, PBKDF2, scrypt,
   * salted SHA or MD5 hash until the first login replaces it.
   * Absent while the identity has password identifiers but no password, as after social sign-up.
   */
  hashedPassword?: string;
}

/** Configuration shape per credential type; types without a domain model yet store JSON. */
export interface CredentialConfigs {
  password: PasswordConfig;
  oidc: { [key: string]: JsonValue };
  totp: { [key: string]: JsonValue };
  lookup_secret: { [key: string]: JsonValue };
  webauthn: { [key: string]: JsonValue };
  code: { [key: string]: JsonValue };
  passkey: { [key: string]: JsonValue };
  saml: { [key: string]: JsonValue };
}

/** A credential entry as events carry it: normalized identifiers plus the type's configuration. */
export interface CredentialData<Type extends CredentialType = CredentialType> {
  identifiers: string[];
  config: CredentialConfigs[Type];
}

/** Credential entries keyed by type, as events carry them. */
export type CredentialsData = { [Type in CredentialType]?: CredentialData<Type> };

/** A credential of an identity, with the times Kratos reports. */
export interface Credential<Type extends CredentialType = CredentialType>
  extends CredentialData<Type> {
  type: Type;
  /** Version of the config shape, as in Kratos; 0 for every type so far. */
  version: number;
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

/** Credentials of an identity keyed by type. */
export type Credentials = { [Type in CredentialType]?: Credential<Type> };

/** An address that can be verified, such as the email address in the traits. */
export interface VerifiableAddress {
  id: string;
  /** Normalized value (trimmed, lower-cased, NFKC). */
  value: string;
  via: AddressChannel;
  status: VerificationStatus;
  verified: boolean;
  verifiedAt: Timestamp | null;
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

/** An address that recovery codes and links can be sent to. */
export interface RecoveryAddress {
  id: string;
  /** Normalized value (trimmed, lower-cased, NFKC). */
  value: string;
  via: AddressChannel;
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

/** A device a session was used from; IP address and user agent are personal data. */
export interface SessionDevice {
  id: string;
  ipAddress?: string;
  userAgent?: string;
}

/** A session of an identity as the stream records it. */
export interface Session {
  id: string;
  /** Lower-case hex SHA-256 of the session token; the token itself is never stored. */
  tokenHash: string;
  aal: AuthenticatorAssuranceLevel;
  authenticationMethods: AuthenticationMethod[];
  issuedAt: Timestamp;
  authenticatedAt: Timestamp;
  expiresAt: Timestamp;
  devices: SessionDevice[];
  /** Time the session was revoked; null while it has not been. */
  revokedAt: Timestamp | null;
}

/** An identity as Kratos's admin API shows it, in camelCase. */
export interface Identity {
  id: string;
  schemaId: string;
  state: IdentityState;
  stateChangedAt: Timestamp;
  traits: Traits;
  credentials: Credentials;
  verifiableAddresses: VerifiableAddress[];
  recoveryAddresses: RecoveryAddress[];
  metadataPublic: JsonValue;
  metadataAdmin: JsonValue;
  externalId: string | null;
  createdAt: Timestamp;
  updatedAt: Timestamp;
}
