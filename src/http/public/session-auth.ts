import type { Context } from "koa";
import type { Registrar } from "../../app/registrar.ts";
import type { ActiveSession } from "../../queries/identity-queries.ts";
import { toIdentityView } from "../../queries/identity-queries.ts";
import { sessionInactive } from "../kratos/flow-errors.ts";
import { type SessionJson, sessionToJson } from "../kratos/session-json.ts";
import { sessionTokenOf } from "../request-context.ts";

/** Resolves the request's session, or raises `session_inactive` (401). */
export async function requireSession(ctx: Context, registrar: Registrar): Promise<ActiveSession> {
  const token = sessionTokenOf(ctx);
  const active = token ? await registrar.sessions.resolve(token) : undefined;
  if (!active) throw sessionInactive();
  return active;
}

/** Renders an active session with its identity for self-service responses. */
export function activeSessionJson(active: ActiveSession, publicUrl: string): SessionJson {
  return sessionToJson(
    { ...active.session, identity: toIdentityView(active.identity) },
    { publicBaseUrl: publicUrl, identityAudience: "public" },
  );
}
