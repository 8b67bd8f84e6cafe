import type Router from "@koa/router";
import type { Context } from "koa";
import { z } from "zod";
import type { Registrar } from "../../app/registrar.ts";
import { toIdentityView } from "../../queries/identity-queries.ts";
import { pageTokenSealerFromClaimKeys } from "../../queries/page-token.ts";
import { badRequest, notFound, type RegistrarError } from "../errors.ts";
import { sessionToJson } from "../kratos/session-json.ts";
import { requireScope } from "./api-key-auth.ts";
import { invalidPageToken, pageSizeParam } from "./identities-paging.ts";
import {
  executeAdminCommand,
  findIdentityOrThrow,
  identityIdParam,
  isUuid,
  singleQueryValue,
} from "./identities-shared.ts";
import { manageSessions } from "./sessions-manage.ts";

const cursorSchema = z.strictObject({ issuedAt: z.iso.datetime(), id: z.uuid() });
const expandValues = ["identity", "devices"];

/** Registers Kratos's admin session routes. */
export function registerAdminSessionRoutes(router: Router, registrar: Registrar): void {
  const read = requireScope("sessions:read");
  const write = requireScope("sessions:write");

  router.get("/admin/identities/:id/sessions", read, listIdentitySessions(registrar));
  router.delete("/admin/identities/:id/sessions", write, revokeIdentitySessions(registrar));
  router.get("/admin/sessions", read, listAllSessions(registrar));
  router.post("/admin/sessions", write, manageSessions(registrar));
  router.get("/admin/sessions/:id", read, getSession(registrar));
  router.delete("/admin/sessions/:id", write, revokeSession(registrar));
  router.patch("/admin/sessions/:id/extend", write, extendSession(registrar));
}

/**
 * `GET /admin/sessions`: the sessions of every identity, newest first, in keyset pages, with
 * the `active` filter and `expand=identity`.
 */
function listAllSessions(registrar: Registrar) {
  const tokens = pageTokenSealerFromClaimKeys(registrar.personalData.claims);
  const purpose = "all_sessions";

  return async function listAllSessionsRoute(ctx: Context) {
    const active = activeParam(ctx);
    const expand = expandParam(ctx);
    const pageSize = pageSizeParam(ctx, { defaultSize: 250, maxSize: 1000, alias: "per_page" });
    const token = singleQueryValue(ctx, "page_token");
    const after = token === undefined ? undefined : tokens.open(purpose, token, cursorSchema);
    if (token !== undefined && after === undefined) throw invalidPageToken();

    const page = await registrar.queries.listSessionsPage(null, new Date(), {
      pageSize,
      ...(active !== undefined && { active }),
      ...(after && { after }),
    });
    if (page.next) {
      const next = new URLSearchParams({ page_size: String(pageSize) });
      if (active !== undefined) next.set("active", String(active));
      for (const value of expand) next.append("expand", value);
      next.set("page_token", tokens.seal(purpose, page.next));
      ctx.set("Link", `</admin/sessions?${next}>; rel="next"`);
    }
    const bodies = [];
    for (const { identityId, ...view } of page.sessions) {
      if (expand.includes("identity")) {
        const identity = await registrar.queries.findIdentity(identityId);
        if (identity) view.identity = toIdentityView(identity);
      }
      bodies.push(sessionToJson(view, { publicBaseUrl: registrar.settings.publicUrl }));
    }
    ctx.body = bodies;
  };
}

/** `GET /admin/identities/{id}/sessions`: newest first, keyset pages, `active` filter. */
function listIdentitySessions(registrar: Registrar) {
  const tokens = pageTokenSealerFromClaimKeys(registrar.personalData.claims);

  return async function listIdentitySessionsRoute(ctx: Context) {
    const identityId = identityIdParam(ctx);
    const active = activeParam(ctx);
    const pageSize = pageSizeParam(ctx, { defaultSize: 250, maxSize: 1000, alias: "per_page" });
    const purpose = `identity_sessions:${identityId}`;
    const token = singleQueryValue(ctx, "page_token");
    const after = token === undefined ? undefined : tokens.open(purpose, token, cursorSchema);
    if (token !== undefined && after === undefined) throw invalidPageToken();
    await findIdentityOrThrow(registrar, identityId);

    const page = await registrar.queries.listSessionsPage(identityId, new Date(), {
      pageSize,
      ...(active !== undefined && { active }),
      ...(after && { after }),
    });
    if (page.next) {
      const next = encodeURIComponent(tokens.seal(purpose, page.next));
      const path = `/admin/identities/${identityId}/sessions`;
      ctx.set("Link", `<${path}?page_size=${pageSize}&page_token=${next}>; rel="next"`);
    }
    ctx.body = page.sessions.map(({ identityId: _identityId, ...session }) =>
      sessionToJson(session, { publicBaseUrl: registrar.settings.publicUrl }),
    );
  };
}

/** `DELETE /admin/identities/{id}/sessions`: revokes every active session; 204. */
function revokeIdentitySessions(registrar: Registrar) {
  return async function revokeIdentitySessionsRoute(ctx: Context) {
    const identityId = identityIdParam(ctx);
    await executeAdminCommand(ctx, registrar, {
      type: "RevokeAllSessions",
      identityId,
      reason: "revoked_by_admin",
      now: new Date().toISOString(),
    });
    ctx.status = 204;
  };
}

/** `GET /admin/sessions/{id}`; `expand=identity` embeds the identity. */
function getSession(registrar: Registrar) {
  return async function getSessionRoute(ctx: Context) {
    const sessionId = sessionIdParam(ctx);
    const expand = expandParam(ctx);
    const session = await registrar.queries.findSession(sessionId, new Date());
    if (!session) throw sessionNotFound();

    const { identityId, ...view } = session;
    if (expand.includes("identity")) {
      const identity = await registrar.queries.findIdentity(identityId);
      if (identity) view.identity = toIdentityView(identity);
    }
    ctx.body = sessionToJson(view, { publicBaseUrl: registrar.settings.publicUrl });
  };
}

/** `DELETE /admin/sessions/{id}`: revokes the session as `revoked_by_admin`; 204. */
function revokeSession(registrar: Registrar) {
  return async function revokeSessionRoute(ctx: Context) {
    const sessionId = sessionIdParam(ctx);
    const session = await registrar.queries.findSession(sessionId, new Date());
    if (!session) throw sessionNotFound();

    await executeAdminCommand(ctx, registrar, {
      type: "RevokeSession",
      identityId: session.identityId,
      sessionId,
      reason: "revoked_by_admin",
      now: new Date().toISOString(),
    });
    ctx.status = 204;
  };
}

/**
 * `PATCH /admin/sessions/{id}/extend`: moves an active session's expiry to one session lifespan
 * from now, as Kratos does, and returns the session. An ended session is a 404.
 */
function extendSession(registrar: Registrar) {
  return async function extendSessionRoute(ctx: Context) {
    const sessionId = sessionIdParam(ctx);
    const now = new Date();
    const session = await registrar.queries.findSession(sessionId, now);
    if (!session?.active) throw sessionNotFound();

    const outcome = await executeAdminCommand(ctx, registrar, {
      type: "RefreshSession",
      identityId: session.identityId,
      sessionId,
      expiresAt: new Date(now.getTime() + registrar.settings.sessionLifespanMs).toISOString(),
      now: now.toISOString(),
    });
    if (outcome.position) await registrar.sessions.waitForSessions(outcome.position);
    registrar.sessions.forgetAll();

    const extended = await registrar.queries.findSession(sessionId, new Date());
    if (!extended) throw sessionNotFound();
    const { identityId: _identityId, ...view } = extended;
    ctx.body = sessionToJson(view, { publicBaseUrl: registrar.settings.publicUrl });
  };
}

function sessionIdParam(ctx: Context): string {
  const id = String(ctx.params.id ?? "");
  if (!isUuid(id)) throw sessionNotFound();
  return id.toLowerCase();
}

function sessionNotFound(): RegistrarError {
  return notFound({ message: "The session could not be found.", reason: "Check the session id." });
}

function activeParam(ctx: Context): boolean | undefined {
  const raw = singleQueryValue(ctx, "active");
  if (raw === undefined) return undefined;
  if (raw === "true" || raw === "false") return raw === "true";
  throw badRequest({ message: "The active parameter must be true or false." });
}

function expandParam(ctx: Context): string[] {
  const raw = ctx.query.expand;
  const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const invalid = values.find((value) => !expandValues.includes(value));
  if (invalid !== undefined) {
    throw badRequest({ message: "The expand parameter must be identity or devices." });
  }
  return values;
}
