import type { Middleware } from "koa";
import type { Logger } from "pino";
import { requestIdOf } from "./request-id.ts";

/**
 * Logs one line per request with method, path (no query string, which can carry tokens and
 * codes), status and duration. Health checks log at debug.
 */
export function accessLog(logger: Logger): Middleware {
  return async function logRequest(ctx, next) {
    const started = performance.now();
    try {
      await next();
    } finally {
      const line = {
        request_id: requestIdOf(ctx),
        method: ctx.method,
        path: ctx.path,
        status: ctx.status,
        duration_ms: Math.round((performance.now() - started) * 10) / 10,
      };
      if (ctx.path.startsWith("/health/")) logger.debug(line, "request");
      else logger.info(line, "request");
    }
  };
}
