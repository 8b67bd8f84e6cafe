import { hkdfSync } from "node:crypto";
import { Redis } from "ioredis";
import type pg from "pg";
import type { Logger } from "pino";
import { type CourierWorker, startCourierWorker } from "../../workers/courier-worker.ts";
import type { RawConfig } from "../config/config.ts";
import { type CaptureServer, startCaptureServer } from "../courier/capture-server.ts";
import { courierQueuePrefix } from "../courier/courier-config.ts";
import { CourierProducer } from "../courier/courier-producer.ts";
import { CourierSecretStore } from "../courier/courier-secrets.ts";
import { parseSender } from "../courier/header-safety.ts";
import { createMailTransport } from "../courier/mail-transport.ts";
import { type CheckSendAllowed, createSendRateLimiter } from "../courier/send-rate-limiter.ts";
import { type CourierTemplates, loadCourierTemplates } from "../courier/templates.ts";
import type { EventStore } from "../eventstore/port.ts";
import type { PersonalData } from "../personal-data/create-personal-data.ts";
import { CourierMessageQueries } from "../projections/courier/courier-message-queries.ts";
import { courierMessagesProjection } from "../projections/courier/courier-messages-projection.ts";
import { courierReactor } from "../projections/courier/courier-reactor.ts";
import type { ProjectionDefinition } from "../projections/projection.ts";

/** The courier's parts inside one Registrar process. */
export interface Courier {
  sendLimiter: CheckSendAllowed;
  queries: CourierMessageQueries;
  projections: ProjectionDefinition[];
  /** The embedded SMTP capture server, when `SMTP_URL` is unset. */
  captureServer?: CaptureServer;
  /** Starts a worker in this process. */
  startWorker(): Promise<CourierWorker>;
  close(): Promise<void>;
}

/**
 * Builds the courier: the reactor that enqueues mail jobs, the messages read model, the send
 * rate limiter and, with no `SMTP_URL`, an SMTP capture server in this process.
 */
export async function createCourier(
  config: RawConfig,
  deps: {
    pool: pg.Pool;
    store: EventStore;
    personalData: PersonalData;
    claimKeySecret: Buffer;
    development: boolean;
    logger: Logger;
  },
): Promise<Courier> {
  const logger = deps.logger.child({ component: "courier" });
  const captureServer = config.SMTP_URL ? undefined : await startCapture(config, logger);
  const smtpUrl = config.SMTP_URL ?? captureServer!.url;

  const templates: CourierTemplates = await loadCourierTemplates(config.COURIER_TEMPLATES_DIR);
  const producer = new CourierProducer({
    redisUrl: config.REDIS_URL,
    prefix: courierQueuePrefix(config.COURIER_QUEUE_PREFIX, config.DATABASE_URL),
    settings: { attempts: config.COURIER_MAX_ATTEMPTS, backoffDelayMs: config.COURIER_BACKOFF_MS },
    logger,
  });

  const limiterRedis = new Redis(config.REDIS_URL, {
    commandTimeout: 500,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
  });
  limiterRedis.on("error", (error) => logger.debug({ err: error }, "send limiter Redis error"));
  const window = config.COURIER_SEND_WINDOW_SECONDS;
  const sendLimiter = createSendRateLimiter({
    redis: limiterRedis,
    // A key of its own, derived from the claim secret, for the HMAC of addresses and IPs.
    hashKey: Buffer.from(hkdfSync("sha256", deps.claimKeySecret, "", "courier-send-limit", 32)),
    perAddress: { points: config.COURIER_SENDS_PER_ADDRESS, windowSeconds: window },
    perIp: { points: config.COURIER_SENDS_PER_IP, windowSeconds: window },
  });

  const secrets = new CourierSecretStore(deps.pool, deps.personalData.cipher);
  const queries = new CourierMessageQueries({
    pool: deps.pool,
    developmentMode: deps.development,
    store: deps.store,
    codec: deps.personalData.codec,
    secrets,
    templates,
  });
  const transport = createMailTransport(smtpUrl);

  return {
    sendLimiter,
    queries,
    projections: [courierReactor({ producer, logger }), courierMessagesProjection()],
    captureServer,
    startWorker: () =>
      startCourierWorker({
        store: deps.store,
        codec: deps.personalData.codec,
        secrets,
        transport,
        templates,
        from: parseSender(config.SMTP_FROM),
        redisUrl: config.REDIS_URL,
        prefix: courierQueuePrefix(config.COURIER_QUEUE_PREFIX, config.DATABASE_URL),
        concurrency: config.COURIER_CONCURRENCY,
        logger,
      }),
    async close() {
      await producer.close();
      limiterRedis.disconnect();
      transport.close();
      await captureServer?.close();
    },
  };
}

/**
 * Starts the capture server on the configured port, or on a free one when that port is taken,
 * as it is when a mail catcher from docker-compose.yml already listens there.
 */
async function startCapture(config: RawConfig, logger: Logger): Promise<CaptureServer> {
  const options = { maxMessages: config.COURIER_CAPTURE_MAX_MESSAGES, logger };
  try {
    return await startCaptureServer({ ...options, port: config.COURIER_CAPTURE_PORT });
  } catch (error) {
    if ((error as { code?: string }).code !== "EADDRINUSE") throw error;
    logger.warn(
      { port: config.COURIER_CAPTURE_PORT },
      "capture server port is in use; listening on a free port instead",
    );
    return startCaptureServer({ ...options, port: 0 });
  }
}
