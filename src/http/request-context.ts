import type { Context } from "koa";
import type { CommandContext } from "../commands/identity-command-handler.ts";
import type { EventActor } from "../eventstore/envelope.ts";
import { requestIdOf } from "./middleware/request-id.ts";

/** Cookie that carries the session token, under Kratos's name. */
export const sessionCookieName = "ory_kratos_session";

const maxUserAgentLength = 512;

/**
 * Returns the session token from `X-Session-Token`, `Authorization: Bearer` or the session
 * cookie, in that order, or undefined when none is present.
 */
export function sessionTokenOf(ctx: Context): string | undefined {
  const header = ctx.get("X-Session-Token");
  if (header) return header;

  const authorization = ctx.get("Authorization");
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization);
  if (bearer) return bearer[1];

  return ctx.cookies.get(sessionCookieName) || undefined;
}

/** Builds the metadata context of a command from the request. */
export function commandContext(ctx: Context, actor: EventActor): CommandContext {
  const requestId = requestIdOf(ctx);
  const userAgent = ctx.get("User-Agent").slice(0, maxUserAgentLength);
  return {
    actor,
    correlationId: requestId,
    source: {
      ...(requestId ? { requestId } : {}),
      ...(ctx.ip ? { ip: ctx.ip } : {}),
      ...(userAgent ? { userAgent } : {}),
    },
  };
}

/** Returns the request URL as the client sent it, for a flow's `request_url`. */
export function requestUrlOf(ctx: Context, publicUrl: string): string {
  return `${publicUrl}${ctx.originalUrl}`;
}
