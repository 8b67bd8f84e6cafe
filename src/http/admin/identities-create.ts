import { randomUUID } from "node:crypto";
import type { Context } from "koa";
import type { Registrar } from "../../app/registrar.ts";
import type { JsonValue } from "../../domain/identity/index.ts";
import { parseInput } from "../middleware/validation.ts";
import { createIdentityBodySchema } from "./identities-body.ts";
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
    const parts = await resolveIdentityParts(registrar, {
      schemaId: body.schema_id,
      traits: body.traits,
      verifiableAddresses: body.verifiable_addresses ?? [],
      credentials: body.credentials,
    });

    const identityId = randomUUID();
    await executeAdminCommand(ctx, registrar, {
      type: "CreateIdentity",
      identityId,
      ...parts,
      state: body.state ?? "active",
      metadataPublic: (body.metadata_public ?? null) as JsonValue,
      metadataAdmin: (body.metadata_admin ?? null) as JsonValue,
      externalId: body.external_id ?? null,
      now: new Date().toISOString(),
    });

    const identity = await loadIdentityOrThrow(registrar, identityId);
    ctx.status = 201;
    ctx.set("Location", `/admin/identities/${identityId}`);
    ctx.body = renderAdminIdentity(registrar, identity);
  };
}
