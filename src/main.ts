// Command-line entry point: `start` runs Registrar, `migrate` applies database migrations.

import { startRegistrar } from "./app/start.ts";
import { parseConfig } from "./config/config.ts";
import { ensureDatabase, migrate } from "./db/migrate.ts";
import { createLogger } from "./logger.ts";

const usage = "usage: registrar <start|migrate>";

async function main(command: string | undefined): Promise<void> {
  const config = parseConfig(process.env);
  const logger = createLogger(config.LOG_LEVEL);

  switch (command) {
    case "migrate": {
      await ensureDatabase(config.DATABASE_URL);
      const report = await migrate(config.DATABASE_URL);
      logger.info({ applied: report.applied, already_applied: report.skipped }, "migrations done");
      return;
    }
    case "start": {
      const running = await startRegistrar(config, logger);
      const shutdown = (signal: string) => {
        logger.info({ signal }, "shutting down");
        running.stop().then(
          () => process.exit(0),
          (error: unknown) => {
            logger.error({ err: error }, "shutdown failed");
            process.exit(1);
          },
        );
      };
      process.once("SIGTERM", () => shutdown("SIGTERM"));
      process.once("SIGINT", () => shutdown("SIGINT"));
      return;
    }
    default:
      process.stderr.write(`${usage}\n`);
      process.exitCode = 2;
  }
}

main(process.argv[2]).catch((error: unknown) => {
  process.stderr.write(`registrar: ${(error as Error).message}\n`);
  process.exit(1);
});
