import { Queue } from "bullmq";
import { Redis } from "ioredis";
import type { Logger } from "pino";
import {
  type CourierJob,
  type CourierJobSettings,
  courierJobName,
  courierJobOptions,
  courierQueueName,
  defaultCourierJobSettings,
} from "./courier-queue.ts";

export interface CourierProducerOptions {
  redisUrl: string;
  /** BullMQ key prefix; `bull` when omitted. Workers must use the same prefix. */
  prefix?: string;
  settings?: Partial<CourierJobSettings>;
  /** Milliseconds after which connecting or enqueueing fails; 5 000 when omitted. */
  timeoutMs?: number;
  logger: Logger;
}

interface Connection {
  redis: Redis;
  queue: Queue;
}

/**
 * Puts courier jobs on the BullMQ queue and fails fast while Redis is unreachable, so that the
 * reactor calling it raises, keeps its checkpoint and retries with backoff. A connection that
 * failed once is dropped and a new one is opened on the next call.
 */
export class CourierProducer {
  readonly #options: CourierProducerOptions;
  readonly #settings: CourierJobSettings;
  #connection?: Promise<Connection>;

  constructor(options: CourierProducerOptions) {
    this.#options = options;
    this.#settings = { ...defaultCourierJobSettings, ...options.settings };
  }

  /**
   * Adds the jobs in one round trip. A job whose id is already in the queue, waiting, running or
   * finished within the retention time, is left as it is.
   */
  async enqueue(jobs: readonly CourierJob[]): Promise<void> {
    if (jobs.length === 0) return;
    try {
      const { queue } = await this.#withTimeout(this.#connect(), "connecting to Redis");
      const bulk = jobs.map((job) => ({
        name: courierJobName,
        data: job,
        opts: courierJobOptions(job, this.#settings),
      }));
      await this.#withTimeout(queue.addBulk(bulk), "adding courier jobs");
    } catch (error) {
      await this.#reset();
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.#reset();
  }

  #connect(): Promise<Connection> {
    this.#connection ??= this.#open();
    return this.#connection;
  }

  async #open(): Promise<Connection> {
    // No offline queue and no reconnects: while Redis is down every command fails at once
    // instead of waiting in memory, and a fresh connection is opened on the next call.
    const redis = new Redis(this.#options.redisUrl, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: () => null,
      connectTimeout: this.#options.timeoutMs ?? 5_000,
      commandTimeout: this.#options.timeoutMs ?? 5_000,
    });
    redis.on("error", (error: Error) => {
      this.#options.logger.warn({ err: error }, "courier producer lost its Redis connection");
    });
    await redis.connect();

    const queue = new Queue(courierQueueName, { connection: redis, prefix: this.#options.prefix });
    queue.on("error", (error: Error) => {
      this.#options.logger.warn({ err: error, queue: courierQueueName }, "courier queue error");
    });
    await queue.waitUntilReady();
    return { redis, queue };
  }

  async #reset(): Promise<void> {
    const pending = this.#connection;
    this.#connection = undefined;
    const connection = await pending?.catch(() => undefined);
    if (!connection) return;
    await connection.queue.close().catch(() => undefined);
    connection.redis.disconnect();
  }

  async #withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
    const timeoutMs = this.#options.timeoutMs ?? 5_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${what} timed out after ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
