import { randomUUID } from "node:crypto";
import type { Context, Middleware } from "koa";

// Printable token characters only, so an incoming id cannot inject into logs or headers.
const SANE_REQUEST_ID = /^[A-Za-z0-9._:/+=-]{1,128}$/;

export interface RequestIdOptions {
  /**
   * Whether an incoming `X-Request-Id` is kept. Turn it off when no trusted proxy sets the
   * header, so that clients cannot choose the ids in the logs. Default true.
   */
  trustIncoming?: boolean;
}

/**
 * Sets `ctx.state.requestId` and the `X-Request-Id` response header. It keeps a sane incoming
 * `X-Request-Id` and otherwise generates a UUID. Mount it before the error handler, so that
 * error bodies and log lines carry the id.
 */
export function requestId(options: RequestIdOptions = {}): Middleware {
  const trustIncoming = options.trustIncoming ?? true;

  return async function assignRequestId(ctx, next) {
    const incoming = ctx.get("X-Request-Id");
    const id = trustIncoming && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = id;
    ctx.set("X-Request-Id", id);
    await next();
  };
}

/** Returns the id that `requestId()` assigned, or undefined when it is not mounted. */
export function requestIdOf(ctx: Context): string | undefined {
  const id: unknown = ctx.state.requestId;
  return typeof id === "string" ? id : undefined;
}
