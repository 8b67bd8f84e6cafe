// Runs courier workers in their own process, on any machine that reaches PostgreSQL, Redis and
// the SMTP server: `npm run worker`. Stops cleanly on SIGTERM or SIGINT.
import pg from "pg";
import { parseConfig } from "../src/config/config.ts";
import { loadSecrets } from "../src/config/secrets.ts";
import { courierQueuePrefix, parseCourierConfig } from "../src/courier/courier-config.ts";
import { CourierSecretStore } from "../src/courier/courier-secrets.ts";
import { parseSender } from "../src/courier/header-safety.ts";
import { createMailTransport } from "../src/courier/mail-transport.ts";
import { loadCourierTemplates } from "../src/courier/templates.ts";
import { PostgresEventStore } from "../src/eventstore/postgres/postgres-event-store.ts";
import { createLogger } from "../src/logger.ts";
import { createPersonalData } from "../src/personal-data/create-personal-data.ts";
import { startCourierWorker } from "./courier-worker.ts";

const config = parseConfig(process.env);
const courier = parseCourierConfig(process.env);
const logger = createLogger(config.LOG_LEVEL);

if (!config.SMTP_URL) {
  logger.fatal(
    "SMTP_URL is missing; a worker in its own process cannot reach the embedded capture server " +
      "of `npm start`, so set SMTP_URL to the SMTP server the mail should go to",
  );
  process.exit(1);
}

const secrets = await loadSecrets(config, logger);
const pool = new pg.Pool({ connectionString: config.DATABASE_URL, max: config.DATABASE_POOL_SIZE });
const store = new PostgresEventStore({ pool });
const personalData = createPersonalData(pool, {
  masterKey: secrets.masterKey,
  previousMasterKeys: secrets.previousMasterKeys,
  claimKeySecret: secrets.claimKeySecret,
});
const transport = createMailTransport(config.SMTP_URL);

const worker = await startCourierWorker({
  store,
  codec: personalData.codec,
  secrets: new CourierSecretStore(pool, personalData.cipher),
  transport,
  templates: await loadCourierTemplates(config.COURIER_TEMPLATES_DIR),
  from: parseSender(config.SMTP_FROM),
  redisUrl: config.REDIS_URL,
  prefix: courierQueuePrefix(courier.COURIER_QUEUE_PREFIX, config.DATABASE_URL),
  concurrency: courier.COURIER_CONCURRENCY,
  logger,
});

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, "stopping courier worker");
  await worker.close();
  transport.close();
  await store.close();
  await pool.end();
  process.exit(0);
}

process.on("SIGTERM", () => void stop("SIGTERM"));
process.on("SIGINT", () => void stop("SIGINT"));
