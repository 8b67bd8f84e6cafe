import Router from "@koa/router";
import Koa from "koa";
import type { Registrar } from "../../app/registrar.ts";
import { accessLog } from "../middleware/access-log.ts";
import { bodyParser } from "../middleware/body-parser.ts";
import { errorHandler } from "../middleware/error-handler.ts";
import { queryGuard } from "../middleware/query-guard.ts";
import { requestId } from "../middleware/request-id.ts";
import { registerHealthRoutes } from "./health.ts";
import { registerSchemaRoutes } from "./schemas.ts";
import { registerLoginRoutes } from "./self-service/login.ts";
import { registerRecoveryRoutes } from "./self-service/recovery.ts";
import { registerRegistrationRoutes } from "./self-service/registration.ts";
import { registerSettingsRoutes } from "./self-service/settings.ts";
import { registerVerificationRoutes } from "./self-service/verification.ts";
import { registerSessionRoutes } from "./sessions.ts";

/** Extra routes of the public port, registered by other modules. */
export type PublicRoutes = (router: Router, registrar: Registrar) => void;

/** Builds the public Koa app: self-service flows, whoami, schemas and health. */
export function createPublicApp(registrar: Registrar, extraRoutes: PublicRoutes[] = []): Koa {
  const app = new Koa({ proxy: false });
  const logger = registrar.logger.child({ port: "public" });
  const router = new Router();

  registerHealthRoutes(router, registrar);
  registerSchemaRoutes(router, registrar);
  registerSessionRoutes(router, registrar);
  registerRegistrationRoutes(router, registrar);
  registerVerificationRoutes(router, registrar);
  registerRecoveryRoutes(router, registrar);
  registerLoginRoutes(router, registrar);
  registerSettingsRoutes(router, registrar);
  for (const register of extraRoutes) register(router, registrar);

  app.use(requestId({ trustIncoming: false }));
  app.use(accessLog(logger));
  app.use(errorHandler({ logger }));
  app.use(queryGuard());
  app.use(bodyParser());
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
