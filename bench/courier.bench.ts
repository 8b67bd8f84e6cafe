import { randomBytes, randomUUID } from "node:crypto";
import { Queue } from "bullmq";
import pino from "pino";
import { startCaptureServer } from "../src/courier/capture-server.ts";
import { CourierProducer } from "../src/courier/courier-producer.ts";
import { courierQueueName } from "../src/courier/courier-queue.ts";
import { CourierSecretStore } from "../src/courier/courier-secrets.ts";
import { createMailTransport } from "../src/courier/mail-transport.ts";
import { CourierTemplates } from "../src/courier/templates.ts";
import { PostgresEventStore } from "../src/eventstore/postgres/postgres-event-store.ts";
import { createPersonalData } from "../src/personal-data/create-personal-data.ts";
import { courierReactor } from "../src/projections/courier/courier-reactor.ts";
import { ProjectionRunner } from "../src/projections/runner.ts";
import { startCourierWorker } from "../workers/courier-worker.ts";
import { createBenchDatabase, interleaved, report } from "./harness.ts";

const durationMs = Number(process.env.BENCH_DURATION_MS ?? 3_000);
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const from = { name: "Registrar", address: "no-reply@registrar.bench" };

/**
 * Measures mail throughput end to end, from an appended request event through the reactor,
 * BullMQ and a worker to the in-process SMTP capture server, beside nodemailer sending straight
 * to the same server. Each operation waits until its mail has arrived.
 */
export async function benchCourier(): Promise<void> {
  const logger = pino({ level: "silent" });
  const database = await createBenchDatabase(40);
  // Idle clients still closing when the database is dropped report 57P01. Nothing else is
  // expected, so any other error still stops the run.
  database.pool.on("error", (error: Error & { code?: string }) => {
    if (error.code !== "57P01") throw error;
  });
  const store = new PostgresEventStore({ pool: database.pool });
  const { codec, cipher } = createPersonalData(database.pool, {
    masterKey: randomBytes(32),
    claimKeySecret: randomBytes(32),
  });
  const secrets = new CourierSecretStore(database.pool, cipher);
  const capture = await startCaptureServer({ maxMessages: 10 });
  const prefix = `rg_bench_${randomBytes(4).toString("hex")}`;
  const producer = new CourierProducer({ redisUrl, prefix, logger });
  const runner = new ProjectionRunner({
    pool: database.pool,
    store,
    projections: [courierReactor({ producer, logger })],
    logger,
    pollIntervalMs: 50,
  });
  const workerTransport = createMailTransport(capture.url, { maxConnections: 10 });
  const directTransport = createMailTransport(capture.url, { maxConnections: 10 });

  const waiting = new Map<string, () => void>();
  const stopListening = capture.onMessage((mail) => {
    for (const to of mail.envelope.to) waiting.get(to)?.();
  });
  const arrival = (address: string) =>
    new Promise<void>((resolve) => {
      waiting.set(address, () => {
        waiting.delete(address);
        resolve();
      });
    });

  await runner.start();
  const worker = await startCourierWorker({
    store,
    codec,
    secrets,
    transport: workerTransport,
    templates: new CourierTemplates(),
    from,
    redisUrl,
    prefix,
    concurrency: 20,
    logger,
  });

  try {
    const viaCourier = async () => {
      const address = `${randomUUID()}@example.com`;
      const arrived = arrival(address);
      await appendRequest(store, codec, secrets, address);
      await arrived;
    };
    const direct = async () => {
      const address = `${randomUUID()}@example.com`;
      const arrived = arrival(address);
      await directTransport.sendMail({
        from,
        to: { address },
        subject: "Your verification code",
        text: "Use code 123456 to verify your email address.",
        html: "<p>Use code <strong>123456</strong> to verify your email address.</p>",
        messageId: `<${randomUUID()}@registrar.bench>`,
      });
      await arrived;
    };

    for (const concurrency of [1, 32]) {
      const rates = await interleaved(concurrency, 2 * durationMs, direct, viaCourier);
      report({
        name: `courier mail, ${concurrency} sender${concurrency > 1 ? "s" : ""}`,
        value: rates.subject,
        unit: "mails/s",
        baselineName: "nodemailer direct",
        baseline: rates.baseline,
      });
    }
  } finally {
    stopListening();
    await runner.stop();
    await worker.close();
    await producer.close();
    workerTransport.close();
    directTransport.close();
    await capture.close();
    const queue = new Queue(courierQueueName, { connection: { url: redisUrl }, prefix });
    await queue.obliterate({ force: true });
    await queue.close();
    await database.drop();
  }
}

async function appendRequest(
  store: PostgresEventStore,
  codec: ReturnType<typeof createPersonalData>["codec"],
  secrets: CourierSecretStore,
  address: string,
): Promise<void> {
  const identityId = randomUUID();
  const messageId = randomUUID();
  const flowId = randomUUID();
  const expiresAt = new Date(Date.now() + 15 * 60_000);
  const type = "VerificationMessageRequested";
  await secrets.saveSecret({
    messageId,
    identityId,
    flowId,
    eventType: type,
    value: "123456",
    expiresAt,
  });
  const event = await codec.encryptEvent(
    identityId,
    {
      eventId: randomUUID(),
      type,
      data: {
        messageId,
        flowId,
        template: "verification_code_valid",
        address,
        expiresAt: expiresAt.toISOString(),
      },
      metadata: {
        correlationId: randomUUID(),
        causationId: null,
        actor: { type: "anonymous" },
        occurredAt: new Date().toISOString(),
      },
    },
    ["address"],
  );
  await store.append(`identity-${identityId}`, "no_stream", [event]);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchCourier();
}
