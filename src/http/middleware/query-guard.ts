import type { Middleware } from "koa";
import { badRequest } from "../errors.ts";

/**
 * Rejects query strings whose keys or values hold a NUL character or a lone UTF-16 surrogate.
 * PostgreSQL cannot store or compare either, so a route that passed one on would fail with a
 * server error instead of a 400.
 */
export function queryGuard(): Middleware {
  return async function checkQuery(ctx, next) {
    for (const [key, value] of Object.entries(ctx.query)) {
      const values = Array.isArray(value) ? value : [value ?? ""];
      for (const text of [key, ...values]) {
        if (text.includes("\0") || !text.isWellFormed()) {
          throw badRequest({
            message: "The query string contains a NUL character or invalid UTF-16.",
            reason: "Remove the control or invalid characters from the query and retry.",
          });
        }
      }
    }
    await next();
  };
}
