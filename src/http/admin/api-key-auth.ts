import type { Context, Middleware, Next } from "koa";
import { type AdminScope, type ApiKey, findApiKey } from "../../app/api-keys.ts";
import { forbidden, unauthorized } from "../errors.ts";

/** Returns the API key that authenticated an admin request. */
export function apiKeyOf(ctx: Context): ApiKey {
  return ctx.state.apiKey as ApiKey;
}

/**
 * Paths that the admin port serves to GET and HEAD without a key: health checks, and the identity schemas,
 * which the public port serves too and which Kratos's SDK requests from the admin port without
 * credentials.
 */
const openPath = /^\/(?:health\/(?:alive|ready)|admin\/schemas(?:\/[^/]+)?)\/?$/;

/**
 * Authenticates every admin request with `Authorization: Bearer <key>`. A missing or unknown
 * key gets the same 401 response, whatever was wrong with it.
 */
export function authenticateApiKey(keys: readonly ApiKey[]): Middleware {
  return async function requireApiKey(ctx: Context, next: Next) {
    const reads = ctx.method === "GET" || ctx.method === "HEAD";
    if (reads && openPath.test(ctx.path)) return next();

    const match = /^Bearer\s+(\S{1,512})$/i.exec(ctx.get("Authorization"));
    const key = match ? findApiKey(keys, match[1]!) : undefined;
    if (!key) {
      throw unauthorized({
        message: "A valid admin API key is required.",
        reason: "Send an admin API key as `Authorization: Bearer <key>`.",
        headers: { "WWW-Authenticate": 'Bearer realm="registrar-admin"' },
      });
    }
    ctx.state.apiKey = key;
    return next();
  };
}

/** The scope that each middleware made by `requireScope` checks. */
const scopesOfMiddleware = new WeakMap<object, AdminScope>();

/** Rejects a request whose API key lacks `scope` with 403. */
export function requireScope(scope: AdminScope): Middleware {
  const middleware = async function checkScope(ctx: Context, next: Next) {
    assertScope(ctx, scope);
    return next();
  };
  scopesOfMiddleware.set(middleware, scope);
  return middleware;
}

/** Returns the scope a route middleware checks, if `requireScope` made it. */
export function scopeCheckedBy(middleware: unknown): AdminScope | undefined {
  return typeof middleware === "function" ? scopesOfMiddleware.get(middleware) : undefined;
}

/** Throws 403 when the request's API key lacks `scope`. */
export function assertScope(ctx: Context, scope: AdminScope): void {
  if (!apiKeyOf(ctx).scopes.has(scope)) {
    throw forbidden({
      message: `The API key lacks the ${scope} scope.`,
      reason: `Use an API key that has the ${scope} scope.`,
    });
  }
}

/** Returns the actor of a command issued through the admin API. */
export function adminActor(ctx: Context) {
  return { type: "admin" as const, id: apiKeyOf(ctx).id, authMethod: "api_key" };
}
