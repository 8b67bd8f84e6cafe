import type { Logger } from "pino";
import { type CaptureServer, startCaptureServer } from "../../src/courier/capture-server.ts";
import { CourierProducer } from "../../src/courier/courier-producer.ts";
import { createMailTransport, type MailTransport } from "../../src/courier/mail-transport.ts";
import { CourierTemplates } from "../../src/courier/templates.ts";
import { CourierMessageQueries } from "../../src/projections/courier/courier-message-queries.ts";
import { courierMessagesProjection } from "../../src/projections/courier/courier-messages-projection.ts";
import { courierReactor } from "../../src/projections/courier/courier-reactor.ts";
import { ProjectionRunner } from "../../src/projections/runner.ts";
import { type CourierWorker, startCourierWorker } from "../../workers/courier-worker.ts";
import { type CourierTestContext, silentLogger } from "./support.ts";

export interface PipelineOptions {
  /** SMTP server to send to; an in-process capture server when omitted. */
  smtpUrl?: string;
  workers?: number;
  /** Jobs each worker processes at the same time; the worker's default when omitted. */
  concurrency?: number;
  attempts?: number;
  backoffDelayMs?: number;
  /** Redis URL of the reactor's producer; the test Redis when omitted. */
  producerRedisUrl?: string;
  developmentMode?: boolean;
  logger?: Logger;
}

/** Everything between an appended request event and a received mail, in one process. */
export interface CourierPipeline {
  runner: ProjectionRunner;
  producer: CourierProducer;
  capture?: CaptureServer;
  workers: CourierWorker[];
  queries: CourierMessageQueries;
  templates: CourierTemplates;
  /** Starts one more worker on the same queue. */
  addWorker(): Promise<CourierWorker>;
  stop(): Promise<void>;
}

export async function startCourierPipeline(
  context: CourierTestContext,
  options: PipelineOptions = {},
): Promise<CourierPipeline> {
  const logger = options.logger ?? silentLogger;
  const capture = options.smtpUrl ? undefined : await startCaptureServer({ maxMessages: 1000 });
  const smtpUrl = options.smtpUrl ?? capture!.url;
  const templates = new CourierTemplates();
  const transports: MailTransport[] = [];
  const producer = new CourierProducer({
    redisUrl: options.producerRedisUrl ?? context.redisUrl,
    prefix: context.prefix,
    settings: { attempts: options.attempts ?? 3, backoffDelayMs: options.backoffDelayMs ?? 20 },
    timeoutMs: 2_000,
    logger,
  });
  const runner = new ProjectionRunner({
    pool: context.database.pool,
    store: context.store,
    projections: [courierReactor({ producer, logger }), courierMessagesProjection()],
    logger,
    decode: (events) => context.personalData.codec.decryptEvents(events),
    pollIntervalMs: 50,
  });
  await runner.start();

  const workers: CourierWorker[] = [];
  const addWorker = async () => {
    const transport = createMailTransport(smtpUrl, { connectTimeoutMs: 2_000 });
    transports.push(transport);
    const worker = await startCourierWorker({
      store: context.store,
      codec: context.personalData.codec,
      secrets: context.secrets,
      transport,
      templates,
      from: { name: "Registrar", address: "no-reply@registrar.test" },
      redisUrl: context.redisUrl,
      prefix: context.prefix,
      concurrency: options.concurrency,
      name: `test-worker-${workers.length + 1}`,
      logger,
    });
    workers.push(worker);
    return worker;
  };
  for (let index = 0; index < (options.workers ?? 1); index += 1) await addWorker();

  const queries = new CourierMessageQueries({
    pool: context.database.pool,
    developmentMode: options.developmentMode ?? false,
    store: context.store,
    codec: context.personalData.codec,
    secrets: context.secrets,
    templates,
  });

  return {
    runner,
    producer,
    capture,
    workers,
    queries,
    templates,
    addWorker,
    async stop() {
      await runner.stop();
      await Promise.all(workers.map((worker) => worker.close()));
      await producer.close();
      for (const transport of transports) transport.close();
      await capture?.close();
    },
  };
}
