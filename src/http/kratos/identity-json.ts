export type CredentialType =
  | "password"
  | "oidc"
  | "totp"
  | "lookup_secret"
  | "webauthn"
  | "code"
  | "passkey"
  | "profile"
  | "saml"
  | "deviceauthn"
  | "identifier_first"
  | "link_recovery"
  | "code_recovery";

/** A verifiable address as the identity read model stores it. */
export interface VerifiableAddressView {
  id: string;
  value: string;
  verified: boolean;
  via: "email" | "sms";
  status: "pending" | "sent" | "completed";
  verifiedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface RecoveryAddressView {
  id: string;
  value: string;
  via: "email" | "sms";
  createdAt: Date;
  updatedAt: Date;
}

export interface CredentialView {
  type: CredentialType;
  identifiers: string[];
  /** The credential's configuration, already decrypted, which is rendered only on request. */
  config?: Record<string, unknown>;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** An identity as the identity read model stores it. */
export interface IdentityView {
  id: string;
  schemaId: string;
  state: "active" | "inactive";
  stateChangedAt: Date | null;
  traits: Record<string, unknown>;
  verifiableAddresses: VerifiableAddressView[];
  recoveryAddresses: RecoveryAddressView[];
  metadataPublic: Record<string, unknown> | null;
  metadataAdmin: Record<string, unknown> | null;
  credentials: CredentialView[];
  createdAt: Date;
  updatedAt: Date;
  organizationId: string | null;
  externalId: string | null;
}

export interface VerifiableAddressJson {
  id: string;
  value: string;
  verified: boolean;
  via: "email" | "sms";
  status: string;
  verified_at?: string;
  created_at: string;
  updated_at: string;
}

export interface RecoveryAddressJson {
  id: string;
  value: string;
  via: string;
  created_at: string;
  updated_at: string;
}

export interface CredentialJson {
  type: CredentialType;
  identifiers: string[];
  config?: Record<string, unknown>;
  version: number;
  created_at: string;
  updated_at: string;
}

/** Kratos's `identity` object. */
export interface IdentityJson {
  id: string;
  schema_id: string;
  schema_url: string;
  state: "active" | "inactive";
  state_changed_at?: string;
  traits: Record<string, unknown>;
  verifiable_addresses: VerifiableAddressJson[];
  recovery_addresses: RecoveryAddressJson[];
  metadata_public: Record<string, unknown> | null;
  metadata_admin?: Record<string, unknown> | null;
  credentials?: Partial<Record<CredentialType, CredentialJson>>;
  created_at: string;
  updated_at: string;
  organization_id: string | null;
  external_id?: string;
}

export interface IdentityJsonOptions {
  /** Public base URL, such as `https://auth.example.com`, on which `schema_url` is built. */
  publicBaseUrl: string;
  /**
   * `admin` adds `metadata_admin` and `credentials`, while `public` is for self-service and
   * whoami responses.
   */
  audience: "public" | "admin";
  /** Credential types whose `config` is rendered, for the admin audience only. */
  includeCredentialConfig?: readonly CredentialType[];
}

/**
 * Returns `<public base URL>/schemas/<base64url(schema id) without padding>`, the URL at which
 * the public API serves the identity schema.
 */
export function identitySchemaUrl(publicBaseUrl: string, schemaId: string): string {
  const base = publicBaseUrl.replace(/\/+$/, "");
  return `${base}/schemas/${Buffer.from(schemaId, "utf8").toString("base64url")}`;
}

/**
 * Renders an identity in Kratos's JSON shape. `state_changed_at`, `verified_at` and
 * `external_id` are left out while unset, which the OpenAPI document allows. The document
 * declares no null for the two timestamps.
 */
export function identityToJson(identity: IdentityView, options: IdentityJsonOptions): IdentityJson {
  const json: IdentityJson = {
    id: identity.id,
    schema_id: identity.schemaId,
    schema_url: identitySchemaUrl(options.publicBaseUrl, identity.schemaId),
    state: identity.state,
    traits: identity.traits,
    verifiable_addresses: identity.verifiableAddresses.map(verifiableAddressToJson),
    recovery_addresses: identity.recoveryAddresses.map(recoveryAddressToJson),
    metadata_public: identity.metadataPublic,
    created_at: identity.createdAt.toISOString(),
    updated_at: identity.updatedAt.toISOString(),
    organization_id: identity.organizationId,
  };
  if (identity.stateChangedAt !== null)
    json.state_changed_at = identity.stateChangedAt.toISOString();
  if (identity.externalId !== null) json.external_id = identity.externalId;
  if (options.audience !== "admin") return json;

  json.metadata_admin = identity.metadataAdmin;
  json.credentials = credentialsToJson(identity.credentials, options.includeCredentialConfig ?? []);
  return json;
}

function verifiableAddressToJson(address: VerifiableAddressView): VerifiableAddressJson {
  const json: VerifiableAddressJson = {
    id: address.id,
    value: address.value,
    verified: address.verified,
    via: address.via,
    status: address.status,
    created_at: address.createdAt.toISOString(),
    updated_at: address.updatedAt.toISOString(),
  };
  if (address.verifiedAt !== null) json.verified_at = address.verifiedAt.toISOString();
  return json;
}

function recoveryAddressToJson(address: RecoveryAddressView): RecoveryAddressJson {
  return {
    id: address.id,
    value: address.value,
    via: address.via,
    created_at: address.createdAt.toISOString(),
    updated_at: address.updatedAt.toISOString(),
  };
}

function credentialsToJson(
  credentials: readonly CredentialView[],
  includeConfig: readonly CredentialType[],
): Partial<Record<CredentialType, CredentialJson>> {
  const json: Partial<Record<CredentialType, CredentialJson>> = {};
  for (const credential of credentials) {
    const rendered: CredentialJson = {
      type: credential.type,
      identifiers: credential.identifiers,
      version: credential.version,
      created_at: credential.createdAt.toISOString(),
      updated_at: credential.updatedAt.toISOString(),
    };
    if (includeConfig.includes(credential.type) && credential.config !== undefined) {
      rendered.config = credential.config;
    }
    json[credential.type] = rendered;
  }
  return json;
}
