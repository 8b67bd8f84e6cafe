import type { Server } from "node:http";
import type { Logger } from "pino";
import type { RawConfig } from "../config/config.ts";
import { createAdminApp } from "../http/admin/admin-app.ts";
import { createPublicApp } from "../http/public/public-app.ts";
import { bind, close, portOf, serve } from "../http/server.ts";
import { startMaintenance } from "./maintenance.ts";
import { type CreateRegistrarOptions, createRegistrar, type Registrar } from "./registrar.ts";

export interface RunningRegistrar {
  registrar: Registrar;
  publicServer: Server;
  adminServer: Server;
  publicPort: number;
  adminPort: number;
  stop(): Promise<void>;
}

/**
 * Starts everything `npm start` runs in one process: migrations, both listeners, the projection
 * runner and a courier worker (unless RUN_PROJECTIONS or RUN_WORKERS is false).
 */
export async function startRegistrar(
  config: RawConfig,
  logger: Logger,
  options: Omit<CreateRegistrarOptions, "logger"> = {},
): Promise<RunningRegistrar> {
  const registrar = await createRegistrar(config, { ...options, logger });
  if (config.RUN_PROJECTIONS) await registrar.projections.start();
  const worker = config.RUN_WORKERS ? await registrar.courier.startWorker() : undefined;
  const stopMaintenance = config.RUN_WORKERS
    ? startMaintenance({
        pool: registrar.pool,
        flows: registrar.flows,
        securityLogRetentionDays: config.SECURITY_LOG_RETENTION_DAYS,
        logger,
      })
    : undefined;

  // Bind first: with port 0 the public URL, which routes put into flows, is known only then.
  const publicServer = await bind(config.HOST, config.PUBLIC_PORT);
  const adminServer = await bind(config.HOST, config.ADMIN_PORT);
  const publicPort = portOf(publicServer);
  const adminPort = portOf(adminServer);
  if (config.PUBLIC_PORT === 0 && !config.PUBLIC_URL) {
    registrar.settings.publicUrl = `http://${config.HOST}:${publicPort}`;
  }
  serve(publicServer, createPublicApp(registrar));
  serve(adminServer, createAdminApp(registrar));
  logger.info(
    { public_url: registrar.settings.publicUrl, admin_port: adminPort, host: config.HOST },
    "registrar started",
  );

  return {
    registrar,
    publicServer,
    adminServer,
    publicPort,
    adminPort,
    async stop() {
      await Promise.all([close(publicServer), close(adminServer)]);
      stopMaintenance?.();
      await worker?.close();
      await registrar.projections.stop();
      await registrar.close();
      logger.info("registrar stopped");
    },
  };
}
