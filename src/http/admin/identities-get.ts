import type { Context } from "koa";
import type { Registrar } from "../../app/registrar.ts";
import { identityNotFound } from "./identities-errors.ts";
import {
  findIdentityOrThrow,
  identityIdParam,
  includedCredentials,
  renderAdminIdentity,
} from "./identities-shared.ts";

const maxExternalIdLength = 255;

/** `GET /admin/identities/{id}`; `include_credential=password` adds the password hash. */
export function getIdentity(registrar: Registrar) {
  return async function getIdentityRoute(ctx: Context) {
    const id = identityIdParam(ctx);
    const include = includedCredentials(ctx);
    const identity = await findIdentityOrThrow(registrar, id);
    ctx.body = renderAdminIdentity(registrar, identity, include);
  };
}

/** `GET /admin/identities/by/external/{externalID}`. */
export function getIdentityByExternalId(registrar: Registrar) {
  return async function getIdentityByExternalIdRoute(ctx: Context) {
    const externalId = String(ctx.params.externalID ?? "");
    // PostgreSQL text cannot hold NUL, so such an id names no identity.
    if (externalId === "" || externalId.length > maxExternalIdLength || externalId.includes("\0")) {
      throw identityNotFound();
    }

    const include = includedCredentials(ctx);
    const identity = await registrar.queries.findByExternalId(externalId);
    if (!identity) throw identityNotFound();
    ctx.body = renderAdminIdentity(registrar, identity, include);
  };
}
