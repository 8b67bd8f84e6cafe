import type Router from "@koa/router";
import type { Registrar } from "../../app/registrar.ts";
import { badRequest, forbidden, notFound } from "../errors.ts";
import { sessionToJson } from "../kratos/session-json.ts";
import { commandContext } from "../request-context.ts";
import { isUuid } from "../uuid.ts";
import { activeSessionJson, requireSession } from "./session-auth.ts";

/** Whoami and the caller's own session list, as Kratos's frontend API has them. */
export function registerSessionRoutes(router: Router, registrar: Registrar): void {
  const { publicUrl } = registrar.settings;

  router.all("/sessions/whoami", async (ctx) => {
    const active = await requireSession(ctx, registrar);
    ctx.set("X-Kratos-Authenticated-Identity-Id", active.identity.id);
    ctx.set("Cache-Control", "private, no-store");
    ctx.body = activeSessionJson(active, publicUrl);
  });

  router.get("/sessions", async (ctx) => {
    const active = await requireSession(ctx, registrar);
    const sessions = await registrar.queries.listSessions(active.identity.id, new Date(), {
      active: true,
    });
    ctx.body = sessions
      .filter((session) => session.id !== active.session.id)
      .map((session) => sessionToJson(session, { publicBaseUrl: publicUrl }));
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
