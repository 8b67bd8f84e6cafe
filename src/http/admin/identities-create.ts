import { randomUUID } from "node:crypto";
import type { Context } from "koa";
import type { Registrar } from "../../app/registrar.ts";
import type { CreateIdentity, JsonValue } from "../../domain/identity/index.ts";
import { parseInput } from "../middleware/validation.ts";
import { type CreateIdentityBody, createIdentityBodySchema } from "./identities-body.ts";
import { resolveIdentityParts } from "./identities-parts.ts";
import {
  executeAdminCommand,
  loadIdentityOrThrow,
  renderAdminIdentity,
} from "./identities-shared.ts";

/**
 * `POST /admin/identities`: creates or imports an identity, with an optional plaintext password
 * (hashed here) or an imported hash. Responds 201 with the identity, or 409 when an identifier,
 * address or external id is taken.
 */
export function createIdentity(registrar: Registrar) {
  return async function createIdentityRoute(ctx: Context) {
    const body = parseInput(createIdentityBodySchema, ctx.state.body);
    const command = await buildCreateIdentityCommand(registrar, body);
    await executeAdminCommand(ctx, registrar, command);

    const identity = await loadIdentityOrThrow(registrar, command.identityId);
    ctx.status = 201;
    ctx.set("Location", `/admin/identities/${command.identityId}`);
    ctx.body = renderAdminIdentity(registrar, identity);
  };
}

/**
 * Builds the `CreateIdentity` command of a parsed create body, under a new identity id. It
 * validates the traits, derives identifiers and addresses, and checks and hashes a plaintext
 * password. Throws the 400 of a body that the identity schema or the password policy rejects.
 */
export async function buildCreateIdentityCommand(
  registrar: Registrar,
  body: CreateIdentityBody,
): Promise<CreateIdentity> {
  const parts = await resolveIdentityParts(registrar, {
    schemaId: body.schema_id,
    traits: body.traits,
    verifiableAddresses: body.verifiable_addresses ?? [],
    credentials: body.credentials,
  });

  return {
    type: "CreateIdentity",
    identityId: randomUUID(),
    ...parts,
    state: body.state ?? "active",
    metadataPublic: (body.metadata_public ?? null) as JsonValue,
    metadataAdmin: (body.metadata_admin ?? null) as JsonValue,
    externalId: body.external_id ?? null,
    now: new Date().toISOString(),
  };
}
