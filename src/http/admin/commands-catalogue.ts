import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { Registrar } from "../../app/registrar.ts";
import type { IdentityCommand, JsonValue } from "../../domain/identity/index.ts";
import { erasureReasons } from "./identities-delete.ts";
import { hashPlaintextPassword, resolveIdentityParts } from "./identities-parts.ts";
import { loadIdentityOrThrow } from "./identities-shared.ts";

const identityId = z.uuid().transform((id) => id.toLowerCase());
const password = z.string().min(1).max(4096);

/** A command of the native API: its body schema and how the body becomes a domain command. */
interface CommandDefinition<Schema extends z.ZodType = z.ZodType> {
  schema: Schema;
  toCommand(registrar: Registrar, input: z.output<Schema>, now: string): Promise<IdentityCommand>;
}

function define<Schema extends z.ZodType>(
  schema: Schema,
  toCommand: CommandDefinition<Schema>["toCommand"],
): CommandDefinition {
  return { schema, toCommand } as CommandDefinition;
}

const createIdentity = define(
  z.strictObject({
    identity_id: identityId.optional(),
    schema_id: z.string().min(1).max(200).optional(),
    traits: z.record(z.string(), z.json()),
    state: z.enum(["active", "inactive"]).optional(),
    metadata_public: z.json().optional(),
    metadata_admin: z.json().optional(),
    external_id: z.string().min(1).max(255).optional(),
    password: password.optional(),
    hashed_password: z.string().min(1).max(1024).optional(),
  }),
  async (registrar, input, now) => {
    const config = { password: input.password, hashed_password: input.hashed_password };
    const parts = await resolveIdentityParts(registrar, {
      schemaId: input.schema_id ?? registrar.schemas.defaultSchemaId,
      traits: input.traits,
      credentials: { password: { config } },
    });
    return {
      type: "CreateIdentity",
      identityId: input.identity_id ?? randomUUID(),
      ...parts,
      state: input.state ?? "active",
      metadataPublic: (input.metadata_public ?? null) as JsonValue,
      metadataAdmin: (input.metadata_admin ?? null) as JsonValue,
      externalId: input.external_id ?? null,
      now,
    };
  },
);

const updateTraits = define(
  z.strictObject({
    identity_id: identityId,
    schema_id: z.string().min(1).max(200).optional(),
    traits: z.record(z.string(), z.json()),
  }),
  async (registrar, input, now) => {
    const current = await loadIdentityOrThrow(registrar, input.identity_id);
    const { password: _unchanged, ...parts } = await resolveIdentityParts(registrar, {
      schemaId: input.schema_id ?? current.schemaId,
      traits: input.traits,
    });
    return { type: "UpdateTraits", identityId: input.identity_id, ...parts, now };
  },
);

const setMetadata = define(
  z.strictObject({
    identity_id: identityId,
    metadata_public: z.json().optional(),
    metadata_admin: z.json().optional(),
  }),
  async (_registrar, input, now) => ({
    type: "SetMetadata",
    identityId: input.identity_id,
    ...(input.metadata_public !== undefined && {
      metadataPublic: input.metadata_public as JsonValue,
    }),
    ...(input.metadata_admin !== undefined && { metadataAdmin: input.metadata_admin as JsonValue }),
    now,
  }),
);

const changePassword = define(
  z.strictObject({
    identity_id: identityId,
    password,
    revoke_sessions: z.boolean().optional(),
  }),
  async (registrar, input, now) => {
    const current = await loadIdentityOrThrow(registrar, input.identity_id);
    const identifiers = current.credentials.password?.identifiers ?? [];
    const hashedPassword = await hashPlaintextPassword(registrar, input.password, identifiers);
    return {
      type: "ChangePassword",
      identityId: input.identity_id,
      hashedPassword,
      ...(input.revoke_sessions && { revokeOtherSessions: {} }),
      now,
    };
  },
);

const identityOnly = z.strictObject({ identity_id: identityId });

/** Identity commands that the admin API runs by name at `POST /admin/commands/{name}`. */
export const adminCommands: Readonly<Record<string, CommandDefinition>> = Object.freeze({
  CreateIdentity: createIdentity,
  UpdateTraits: updateTraits,
  SetMetadata: setMetadata,
  ChangePassword: changePassword,
  DeactivateIdentity: define(identityOnly, async (_registrar, input, now) => ({
    type: "DeactivateIdentity",
    identityId: input.identity_id,
    now,
  })),
  ActivateIdentity: define(identityOnly, async (_registrar, input, now) => ({
    type: "ActivateIdentity",
    identityId: input.identity_id,
    now,
  })),
  EraseIdentity: define(
    z.strictObject({ identity_id: identityId, reason: z.enum(erasureReasons) }),
    async (_registrar, input, now) => ({
      type: "EraseIdentity",
      identityId: input.identity_id,
      reason: input.reason,
      now,
    }),
  ),
  DeleteIdentity: define(identityOnly, async (_registrar, input, now) => ({
    type: "DeleteIdentity",
    identityId: input.identity_id,
    now,
  })),
  RevokeSession: define(
    z.strictObject({ identity_id: identityId, session_id: z.uuid() }),
    async (_registrar, input, now) => ({
      type: "RevokeSession",
      identityId: input.identity_id,
      sessionId: input.session_id.toLowerCase(),
      reason: "revoked_by_admin",
      now,
    }),
  ),
  RevokeAllSessions: define(identityOnly, async (_registrar, input, now) => ({
    type: "RevokeAllSessions",
    identityId: input.identity_id,
    reason: "revoked_by_admin",
    now,
  })),
  MarkAddressVerified: define(
    z.strictObject({
      identity_id: identityId,
      via: z.enum(["email", "sms"]),
      value: z.string().min(1).max(320),
    }),
    async (_registrar, input, now) => ({
      type: "MarkAddressVerified",
      identityId: input.identity_id,
      via: input.via,
      value: input.value,
      now,
    }),
  ),
});
