import { z } from "zod";

// Bounds of Registrar's own: Kratos documents none for these fields.
const maxExternalIdLength = 255;
const maxAddresses = 100;
const maxPlaintextPasswordLength = 4096;
const maxHashLength = 1024;

const jsonObject = z.record(z.string(), z.json());

const verifiableAddressSchema = z.strictObject({
  value: z.string().max(320),
  via: z.enum(["email", "sms"]),
  verified: z.boolean().optional(),
  status: z.enum(["pending", "sent", "completed"]).optional(),
  verified_at: z.iso.datetime({ offset: true }).nullable().optional(),
  // Read-only fields that a client may send back from an earlier GET; they are ignored.
  id: z.string().max(100).optional(),
  created_at: z.string().max(100).optional(),
  updated_at: z.string().max(100).optional(),
});

const recoveryAddressSchema = z.strictObject({
  value: z.string().max(320),
  via: z.enum(["email", "sms"]),
  id: z.string().max(100).optional(),
  created_at: z.string().max(100).optional(),
  updated_at: z.string().max(100).optional(),
});

const passwordConfigSchema = z.strictObject({
  password: z.string().min(1).max(maxPlaintextPasswordLength).optional(),
  hashed_password: z.string().min(1).max(maxHashLength).optional(),
  use_password_migration_hook: z.boolean().optional(),
});

/** `credentials` of Kratos's create and update bodies; only passwords can be imported so far. */
export const importedCredentialsSchema = z.strictObject({
  password: z.strictObject({ config: passwordConfigSchema }).optional(),
  oidc: z.unknown().optional(),
  saml: z.unknown().optional(),
  totp: z.unknown().optional(),
  webauthn: z.unknown().optional(),
  passkey: z.unknown().optional(),
  lookup_secret: z.unknown().optional(),
});

export type ImportedCredentials = z.output<typeof importedCredentialsSchema>;
export type VerifiableAddressBody = z.output<typeof verifiableAddressSchema>;

const regionSchema = z.enum([
  "eu-central",
  "asia-northeast",
  "us-east",
  "us-west",
  "eu",
  "asia",
  "us",
  "global",
]);

/** Kratos's `createIdentityBody`; unknown fields are rejected, as Kratos's strict decoder does. */
export const createIdentityBodySchema = z.strictObject({
  schema_id: z.string().min(1).max(200),
  traits: jsonObject,
  state: z.enum(["active", "inactive"]).optional(),
  credentials: importedCredentialsSchema.optional(),
  verifiable_addresses: z.array(verifiableAddressSchema).max(maxAddresses).optional(),
  recovery_addresses: z.array(recoveryAddressSchema).max(maxAddresses).optional(),
  metadata_public: z.json().optional(),
  metadata_admin: z.json().optional(),
  external_id: z.string().max(maxExternalIdLength).nullable().optional(),
  organization_id: z.null().optional(),
  // Ory Network's hosting region; accepted and ignored, as a self-hosted Kratos does.
  region: regionSchema.optional(),
});

export type CreateIdentityBody = z.output<typeof createIdentityBodySchema>;

/**
 * Kratos's `updateIdentityBody` for PUT. `verifiable_addresses` is Registrar's addition, used by
 * JSON Patch to change an address's verification status.
 */
export const updateIdentityBodySchema = z.strictObject({
  schema_id: z.string().min(1).max(200).optional(),
  traits: jsonObject,
  state: z.enum(["active", "inactive"]),
  credentials: importedCredentialsSchema.optional(),
  metadata_public: z.json().optional(),
  metadata_admin: z.json().optional(),
  external_id: z.string().max(maxExternalIdLength).nullable().optional(),
  verifiable_addresses: z.array(verifiableAddressSchema).max(maxAddresses).optional(),
  region: regionSchema.optional(),
});

export type UpdateIdentityBody = z.output<typeof updateIdentityBodySchema>;
