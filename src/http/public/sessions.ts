import type Router from "@koa/router";
import { z } from "zod";
import type { Registrar } from "../../app/registrar.ts";
import { pageTokenSealerFromClaimKeys } from "../../queries/page-token.ts";
import { invalidPageToken, pageSizeParam } from "../admin/identities-paging.ts";
import { singleQueryValue } from "../admin/identities-shared.ts";
import { badRequest, forbidden, notFound } from "../errors.ts";
import { sessionToJson } from "../kratos/session-json.ts";
import { commandContext } from "../request-context.ts";
import { isUuid } from "../uuid.ts";
import { activeSessionJson, requireSession } from "./session-auth.ts";

const cursorSchema = z.strictObject({ issuedAt: z.iso.datetime(), id: z.uuid() });

/** Whoami and the caller's own session list, as Kratos's frontend API has them. */
export function registerSessionRoutes(router: Router, registrar: Registrar): void {
  const { publicUrl } = registrar.settings;
  const tokens = pageTokenSealerFromClaimKeys(registrar.personalData.claims);

  router.all("/sessions/whoami", async (ctx) => {
    const active = await requireSession(ctx, registrar);
    ctx.set("X-Kratos-Authenticated-Identity-Id", active.identity.id);
    ctx.set("Cache-Control", "private, no-store");
    ctx.body = activeSessionJson(active, publicUrl);
  });

  // The caller's other active sessions, newest first, in keyset pages as Kratos lists them.
  router.get("/sessions", async (ctx) => {
    const active = await requireSession(ctx, registrar);
    if (ctx.query.page !== undefined) {
      throw badRequest({
        message: "The page parameter is not supported.",
        reason: "Use page_token from the Link header to fetch the next page.",
      });
    }
    const pageSize = pageSizeParam(ctx, { defaultSize: 250, maxSize: 1000, alias: "per_page" });
    // Each identity's tokens are sealed for it alone, so no token works for another caller.
    const purpose = `my_sessions:${active.identity.id}`;
    const token = singleQueryValue(ctx, "page_token");
    const after = token === undefined ? undefined : tokens.open(purpose, token, cursorSchema);
    if (token !== undefined && after === undefined) throw invalidPageToken();

    const page = await registrar.queries.listSessionsPage(active.identity.id, new Date(), {
      active: true,
      pageSize,
      exceptSessionId: active.session.id,
      ...(after && { after }),
    });
    if (page.next) {
      const next = new URLSearchParams({ page_size: String(pageSize) });
      next.set("page_token", tokens.seal(purpose, page.next));
      ctx.set("Link", `</sessions?${next}>; rel="next"`);
    }
    ctx.body = page.sessions.map(({ identityId: _, ...view }) =>
      sessionToJson(view, { publicBaseUrl: publicUrl }),
    );
  });

  router.delete("/sessions", async (ctx) => {
    const active = await requireSession(ctx, registrar);
    const outcome = await registrar.identities.execute(
      {
        type: "RevokeOtherSessions",
        identityId: active.identity.id,
        keepSessionId: active.session.id,
        now: new Date().toISOString(),
      },
      commandContext(ctx, identityActor(active)),
    );
    if (!outcome.ok) throw badRequest({ message: "The sessions could not be revoked." });
    if (outcome.position) await registrar.sessions.waitForSessions(outcome.position);
    registrar.sessions.forgetAll();
    ctx.body = { count: outcome.events.length };
  });

  // Kratos exchanges codes for a session token after native social sign-in, which Registrar
  // does not offer. Without this route the path would match DELETE /sessions/:id and get 405.
  router.get("/sessions/token-exchange", () => {
    throw notFound({ message: "Session token exchange needs social sign-in, which is not built." });
  });

  router.delete("/sessions/:id", async (ctx) => {
    const active = await requireSession(ctx, registrar);
    const sessionId = ctx.params.id ?? "";
    if (!isUuid(sessionId)) throw notFound({ message: "The session does not exist." });
    if (sessionId === active.session.id) {
      throw badRequest({
        message: "You cannot revoke the session you are using; sign out instead.",
      });
    }
    const session = await registrar.queries.findSession(sessionId, new Date());
    if (!session || session.identityId !== active.identity.id) {
      throw notFound({ message: "The session does not exist." });
    }
    const outcome = await registrar.identities.execute(
      {
        type: "RevokeSession",
        identityId: active.identity.id,
        sessionId,
        reason: "revoked_by_identity",
        now: new Date().toISOString(),
      },
      commandContext(ctx, identityActor(active)),
    );
    if (outcome.ok && outcome.position) await registrar.sessions.waitForSessions(outcome.position);
    registrar.sessions.forgetAll();
    ctx.status = 204;
  });

  // Native logout: the token in the body ends its own session.
  router.delete("/self-service/logout/api", async (ctx) => {
    const body = ctx.state.body as { session_token?: unknown } | undefined;
    const token = body?.session_token;
    if (typeof token !== "string" || token.length === 0) {
      throw badRequest({ message: "The request body must contain session_token." });
    }
    const active = await registrar.sessions.resolve(token);
    if (!active) {
      throw forbidden({ message: "The provided session token is invalid or has expired." });
    }
    const outcome = await registrar.identities.execute(
      {
        type: "RevokeSession",
        identityId: active.identity.id,
        sessionId: active.session.id,
        reason: "logout",
        now: new Date().toISOString(),
      },
      commandContext(ctx, identityActor(active)),
    );
    if (outcome.ok && outcome.position) await registrar.sessions.waitForSessions(outcome.position);
    registrar.sessions.forget(token);
    ctx.status = 204;
  });
}

/** Returns the actor of a command issued by the holder of a session. */
export function identityActor(active: { identity: { id: string }; session: { id: string } }) {
  return {
    type: "identity" as const,
    id: active.identity.id,
    sessionId: active.session.id,
    authMethod: "session",
  };
}
