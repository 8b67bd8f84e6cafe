import type { Context } from "koa";
import { z } from "zod";
import type { Registrar } from "../../app/registrar.ts";
import type { Identity } from "../../domain/identity/index.ts";
import { normalizeIdentifier } from "../../domain/identity/index.ts";
import { pageTokenSealerFromClaimKeys } from "../../queries/page-token.ts";
import { badRequest } from "../errors.ts";
import { invalidPageToken, pageSizeParam } from "./identities-paging.ts";
import {
  credentialTypes,
  includedCredentials,
  isUuid,
  renderAdminIdentity,
  singleQueryValue,
} from "./identities-shared.ts";

const maxIds = 500;
const tokenPurpose = "identities";
const cursorSchema = z.strictObject({ createdAt: z.iso.datetime(), id: z.uuid() });

/**
 * `GET /admin/identities`: keyset pages oldest first, or one of the filters `ids` (at most 500,
 * no paging) and `credentials_identifier` (exact match after normalisation). As in Kratos, the
 * filters cannot be combined.
 */
export function listIdentities(registrar: Registrar) {
  const tokens = pageTokenSealerFromClaimKeys(registrar.personalData.claims);

  return async function listIdentitiesRoute(ctx: Context) {
    rejectUnsupportedParameters(ctx);
    const include = includedCredentials(ctx);
    const render = (identity: Identity) => renderAdminIdentity(registrar, identity, include);

    const ids = idsParam(ctx);
    const identifier = singleQueryValue(ctx, "credentials_identifier");
    if (ids !== undefined && identifier !== undefined) {
      throw badRequest({
        message: "The ids and credentials_identifier filters cannot be combined.",
      });
    }
    const organizationId = singleQueryValue(ctx, "organization_id");
    if (organizationId !== undefined) {
      if (!isUuid(organizationId))
        throw badRequest({ message: "The organization_id is not a UUID." });
      // Registrar has no organizations, so no identity belongs to one.
      ctx.body = [];
      return;
    }
    if (ids !== undefined) {
      const page = await registrar.queries.listIdentities({ pageSize: maxIds, ids });
      ctx.body = page.identities.map(render);
      return;
    }
    if (identifier !== undefined) {
      ctx.body = (await findByIdentifier(registrar, identifier)).map(render);
      return;
    }

    const pageSize = pageSizeParam(ctx, { defaultSize: 250, maxSize: 1000, alias: "per_page" });
    const token = singleQueryValue(ctx, "page_token");
    const after = token === undefined ? undefined : tokens.open(tokenPurpose, token, cursorSchema);
    if (token !== undefined && after === undefined) throw invalidPageToken();

    const page = await registrar.queries.listIdentities({ pageSize, ...(after && { after }) });
    const links = [`</admin/identities?page_size=${pageSize}>; rel="first"`];
    if (page.next) {
      const next = encodeURIComponent(tokens.seal(tokenPurpose, page.next));
      links.push(`</admin/identities?page_size=${pageSize}&page_token=${next}>; rel="next"`);
    }
    ctx.set("Link", links.join(","));
    ctx.body = page.identities.map(render);
  };
}

function rejectUnsupportedParameters(ctx: Context): void {
  if (ctx.query.page !== undefined) {
    throw badRequest({
      message: "The page parameter is not supported.",
      reason: "Use page_token from the Link header to fetch the next page.",
    });
  }
  if (ctx.query.preview_credentials_identifier_similar !== undefined) {
    throw badRequest({
      message: "The preview_credentials_identifier_similar filter is not supported.",
      reason: "Use credentials_identifier for an exact match.",
    });
  }
  const consistency = singleQueryValue(ctx, "consistency");
  if (consistency !== undefined && !["", "strong", "eventual"].includes(consistency)) {
    throw badRequest({ message: "The consistency parameter must be strong or eventual." });
  }
}

function idsParam(ctx: Context): string[] | undefined {
  const raw = ctx.query.ids;
  if (raw === undefined) return undefined;

  const ids = Array.isArray(raw) ? raw : [raw];
  if (ids.length > maxIds) {
    throw badRequest({ message: `The ids filter accepts at most ${maxIds} ids.` });
  }
  const invalid = ids.find((id) => !isUuid(id));
  if (invalid !== undefined) {
    throw badRequest({
      message: `The ids filter contains a value that is not a UUID: ${JSON.stringify(invalid.slice(0, 50))}.`,
    });
  }
  return [...new Set(ids.map((id) => id.toLowerCase()))];
}

async function findByIdentifier(registrar: Registrar, value: string): Promise<Identity[]> {
  const identifier = normalizeIdentifier(value, "credentials_identifier");
  if (typeof identifier !== "string") {
    throw badRequest({
      message: `The credentials_identifier is ${identifier.reason === "empty" ? "empty" : "too long"}.`,
    });
  }
  return registrar.queries.listByIdentifier(identifier, credentialTypes);
}
