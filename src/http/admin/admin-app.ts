import { readFileSync } from "node:fs";
import Router from "@koa/router";
import Koa, { type Middleware } from "koa";
import type { Registrar } from "../../app/registrar.ts";
import { accessLog } from "../middleware/access-log.ts";
import { MAX_BODY_DEPTH } from "../middleware/body-decoding.ts";
import { bodyParser } from "../middleware/body-parser.ts";
import { errorHandler } from "../middleware/error-handler.ts";
import { queryGuard } from "../middleware/query-guard.ts";
import { requestId } from "../middleware/request-id.ts";
import { registerHealthRoutes } from "../public/health.ts";
import { registerSchemaRoutes } from "../public/schemas.ts";
import { assertScope, authenticateApiKey, scopeCheckedBy } from "./api-key-auth.ts";
import { registerAuditRoutes } from "./audit.ts";
import { registerCommandRoutes } from "./commands.ts";
import { registerCourierRoutes } from "./courier.ts";
import { registerIdentityRoutes } from "./identities.ts";
import { batchBodyLimitBytes } from "./identities-batch-body.ts";
import { metricsMiddleware, registerMetricsRoutes } from "./metrics.ts";
import { registerProjectionRoutes } from "./projections.ts";
import { registerAdminRecoveryRoutes } from "./recovery.ts";
import { registerAdminSessionRoutes } from "./sessions.ts";

const registrarVersion = (
  JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
    version: string;
  }
).version;

/** Extra routes of the admin port, registered by other modules. */
export type AdminRoutes = (router: Router, registrar: Registrar) => void;

/**
 * Builds the admin Koa app. Every route except health and the identity schemas needs an API key. Kratos's admin paths
 * work with and without the `/admin` prefix, as on Kratos's admin port.
 */
export function createAdminApp(registrar: Registrar, extraRoutes: AdminRoutes[] = []): Koa {
  const app = new Koa({ proxy: false });
  const logger = registrar.logger.child({ port: "admin" });
  const router = new Router();

  registerHealthRoutes(router, registrar);
  const schemas = new Router({ prefix: "/admin" });
  registerSchemaRoutes(schemas, registrar);
  router.use(schemas.routes());
  registerMetricsRoutes(router);
  router.get("/admin/version", (ctx) => {
    ctx.body = { version: registrarVersion };
  });
  registerCourierRoutes(router, registrar);
  registerAdminRecoveryRoutes(router, registrar);
  registerIdentityRoutes(router, registrar);
  registerAdminSessionRoutes(router, registrar);
  registerCommandRoutes(router, registrar);
  registerAuditRoutes(router, registrar);
  registerProjectionRoutes(router, registrar);
  for (const register of extraRoutes) register(router, registrar);

  app.use(requestId({ trustIncoming: false }));
  app.use(accessLog(logger));
  app.use(errorHandler({ logger }));
  app.use(metricsMiddleware());
  app.use(async (ctx, next) => {
    if (!ctx.path.startsWith("/admin/") && !ctx.path.startsWith("/health/")) {
      ctx.path = `/admin${ctx.path}`;
    }
    await next();
  });
  app.use(authenticateApiKey(registrar.apiKeys));
  app.use(queryGuard());
  app.use(parseAdminBody(router));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}

/**
 * Parses request bodies, allowing the batch create a larger body than the other routes. The
 * matched route's scope is checked first, so that a key without it gets 403 before its body
 * is read, whatever the body contains.
 */
function parseAdminBody(router: Router): Middleware {
  // RFC 6902 registers application/json-patch+json for JSON Patch documents.
  const jsonTypes = ["application/json", "application/json-patch+json"];
  const parseBody = bodyParser({ root: "any", jsonTypes });
  // The batch wraps each create body in three more levels: the root, `identities` and the entry.
  const parseBatchBody = bodyParser({
    root: "any",
    jsonTypes,
    limitBytes: batchBodyLimitBytes,
    maxDepth: MAX_BODY_DEPTH + 3,
  });
  return function parseAdminRequestBody(ctx, next) {
    for (const layer of router.match(ctx.path, ctx.method).pathAndMethod) {
      for (const middleware of layer.stack) {
        const scope = scopeCheckedBy(middleware);
        if (scope) assertScope(ctx, scope);
      }
    }
    // The router also matches the path with a trailing slash.
    const isBatchCreate = ctx.method === "PATCH" && /^\/admin\/identities\/?$/.test(ctx.path);
    return isBatchCreate ? parseBatchBody(ctx, next) : parseBody(ctx, next);
  };
}
