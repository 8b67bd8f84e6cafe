import type { Context } from "koa";
import type { Registrar } from "../../app/registrar.ts";
import type { Identity, JsonValue } from "../../domain/identity/index.ts";
import type { IdentityJson } from "../kratos/identity-json.ts";
import { parseInput } from "../middleware/validation.ts";
import { type UpdateIdentityBody, updateIdentityBodySchema } from "./identities-body.ts";
import { resolveIdentityParts } from "./identities-parts.ts";
import {
  executeAdminCommand,
  identityIdParam,
  loadIdentityOrThrow,
  renderAdminIdentity,
} from "./identities-shared.ts";

/**
 * `PUT /admin/identities/{id}`: replaces schema, traits, state and metadata, as Kratos does.
 * Omitted metadata becomes null, an omitted schema id or external id stays, and credentials
 * change only when the body sends them.
 */
export function replaceIdentity(registrar: Registrar) {
  return async function replaceIdentityRoute(ctx: Context) {
    const id = identityIdParam(ctx);
    const body = parseInput(updateIdentityBodySchema, ctx.state.body);
    const current = await loadIdentityOrThrow(registrar, id);
    ctx.body = await applyReplacement(ctx, registrar, current, body, "keep");
  };
}

/**
 * Runs ReplaceIdentity for a validated update body and returns the identity as it is now.
 * `omittedExternalId` sets whether an absent `external_id` keeps the current one (PUT) or
 * clears it (JSON Patch, where removing the field is how a client clears it).
 */
export async function applyReplacement(
  ctx: Context,
  registrar: Registrar,
  current: Identity,
  body: UpdateIdentityBody,
  omittedExternalId: "keep" | "clear",
): Promise<IdentityJson> {
  const parts = await resolveIdentityParts(registrar, {
    schemaId: body.schema_id ?? current.schemaId,
    traits: body.traits,
    verifiableAddresses: body.verifiable_addresses ?? [],
    credentials: body.credentials,
  });
  const keptExternalId = omittedExternalId === "keep" ? current.externalId : null;

  await executeAdminCommand(ctx, registrar, {
    type: "ReplaceIdentity",
    identityId: current.id,
    ...parts,
    state: body.state,
    metadataPublic: (body.metadata_public ?? null) as JsonValue,
    metadataAdmin: (body.metadata_admin ?? null) as JsonValue,
    externalId: body.external_id === undefined ? keptExternalId : body.external_id,
    now: new Date().toISOString(),
  });

  const identity = await loadIdentityOrThrow(registrar, current.id);
  return renderAdminIdentity(registrar, identity);
}
