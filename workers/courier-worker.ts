import { hostname } from "node:os";
import { DelayedError, type Job, UnrecoverableError, Worker } from "bullmq";
import { Redis } from "ioredis";
import type { Logger } from "pino";
import {
  type CourierJob,
  courierJobSchema,
  courierQueueName,
} from "../src/courier/courier-queue.ts";
import type { CourierSecretStore } from "../src/courier/courier-secrets.ts";
import {
  abandonAfterFault,
  type DeliveryDependencies,
  DeliveryFailedError,
  type DeliveryOutcome,
  deliverMessage,
} from "../src/courier/deliver-message.ts";

export interface CourierWorkerDependencies extends DeliveryDependencies {
  /** Source of the codes and links, from which the worker also deletes the expired ones. */
  secrets: Pick<CourierSecretStore, "findSecret" | "deleteExpiredSecrets">;
  /** Milliseconds between deletions of expired codes and links. 60 000 when omitted. */
  secretCleanupIntervalMs?: number;
  redisUrl: string;
  /** BullMQ key prefix; must equal the producer's. `bull` when omitted. */
  prefix?: string;
  /** Jobs one worker processes at the same time; 10 when omitted. */
  concurrency?: number;
  /** Name stored on every job this worker processes; `<host name>:<process id>` when omitted. */
  name?: string;
  logger: Logger;
}

export interface CourierWorker {
  worker: Worker<CourierJob>;
  /** Waits for running jobs to finish, then closes the Redis connection. */
  close(): Promise<void>;
}

/**
 * Starts a BullMQ worker on the courier queue. Each job loads its request event, sends the mail
 * once and records the outcome in the message's courier stream. BullMQ retries a failed send
 * with the job's exponential backoff. Log lines carry the job id, queue, attempt and duration,
 * never the address, code or link. The worker also deletes expired codes and links from
 * `courier_secrets` periodically. Several workers doing so at once is harmless.
 */
export async function startCourierWorker(deps: CourierWorkerDependencies): Promise<CourierWorker> {
  // A worker blocks on Redis while it waits for jobs, so it must retry commands forever.
  const connection = new Redis(deps.redisUrl, { maxRetriesPerRequest: null });
  const worker = new Worker<CourierJob>(
    courierQueueName,
    (job, token) => processCourierJob(deps, job, token),
    {
      connection,
      name: deps.name ?? `${hostname()}:${process.pid}`,
      prefix: deps.prefix,
      concurrency: deps.concurrency ?? 10,
      maxStalledCount: 3,
    },
  );
  worker.on("error", (error) => {
    deps.logger.error({ err: error, queue: courierQueueName }, "courier worker error");
  });
  await worker.waitUntilReady();
  const cleanup = setInterval(
    () => void deleteExpiredSecrets(deps),
    deps.secretCleanupIntervalMs ?? 60_000,
  );
  cleanup.unref();
  deps.logger.info(
    { queue: courierQueueName, concurrency: deps.concurrency ?? 10 },
    "courier worker started",
  );

  return {
    worker,
    async close() {
      clearInterval(cleanup);
      await worker.close();
      connection.disconnect();
      deps.logger.info({ queue: courierQueueName }, "courier worker stopped");
    },
  };
}

async function deleteExpiredSecrets(deps: CourierWorkerDependencies): Promise<void> {
  const now = (deps.now ?? (() => new Date()))();
  try {
    const deleted = await deps.secrets.deleteExpiredSecrets(now);
    if (deleted > 0) deps.logger.info({ deleted }, "expired courier secrets deleted");
  } catch (error) {
    deps.logger.error({ err: error }, "failed to delete expired courier secrets");
  }
}

async function processCourierJob(
  deps: CourierWorkerDependencies,
  job: Job<CourierJob>,
  token: string | undefined,
): Promise<string> {
  const startedAt = performance.now();
  const attempt = job.attemptsMade + 1;
  const maxAttempts = Math.max(job.opts.attempts ?? 1, 1);
  const log = deps.logger.child({ job_id: job.id, queue: courierQueueName, attempt });
  const elapsed = () => Math.round(performance.now() - startedAt);

  const parsed = courierJobSchema.safeParse(job.data);
  if (!parsed.success) {
    log.error({ duration_ms: elapsed() }, "courier job payload is invalid; dropping the job");
    throw new UnrecoverableError("invalid courier job payload");
  }
  const messageLog = log.child({ message_id: parsed.data.messageId });

  let outcome: DeliveryOutcome;
  try {
    outcome = await deliverMessage(deps, { job: parsed.data, attempt, maxAttempts });
  } catch (error) {
    if (error instanceof DeliveryFailedError) {
      const level = error.final ? "error" : "warn";
      messageLog[level](
        { duration_ms: elapsed(), error: error.safeMessage, final: error.final },
        error.final
          ? "courier delivery failed; message abandoned"
          : "courier delivery failed; retrying",
      );
      throw error;
    }
    messageLog.error({ err: error, duration_ms: elapsed() }, "courier job failed");
    if (attempt >= maxAttempts) {
      await abandonAfterFault(deps, parsed.data).catch((abandonError: unknown) => {
        messageLog.error(
          { err: abandonError, duration_ms: elapsed() },
          "could not record the abandoned message",
        );
      });
    }
    throw error;
  }

  return reportOutcome(outcome, job, token, messageLog, elapsed());
}

async function reportOutcome(
  outcome: DeliveryOutcome,
  job: Job<CourierJob>,
  token: string | undefined,
  log: Logger,
  durationMs: number,
): Promise<string> {
  switch (outcome.kind) {
    case "sent":
      if (outcome.recorded) {
        log.info({ duration_ms: durationMs }, "courier message sent");
      } else {
        log.error(
          { duration_ms: durationMs },
          "courier message sent, but another worker recorded an outcome first; it may arrive twice",
        );
      }
      return "sent";
    case "skipped":
      log.info(
        { duration_ms: durationMs, outcome: outcome.outcome },
        "courier message already handled",
      );
      return `skipped_${outcome.outcome}`;
    case "abandoned":
      log.warn({ duration_ms: durationMs, reason: outcome.reason }, "courier message abandoned");
      return "abandoned";
    case "busy":
      log.info(
        { duration_ms: durationMs, retry_at: outcome.retryAt.toISOString() },
        "another worker is delivering this message; checking again later",
      );
      await job.moveToDelayed(outcome.retryAt.getTime(), token);
      throw new DelayedError();
  }
}
