import { z } from "zod";
import { ConfigError } from "../config/config.ts";

const positive = z.coerce.number().int().positive();

/**
 * Courier settings read from the environment beside the shared configuration. Every key has a
 * default, so none is required.
 */
export const courierConfigSchema = z.object({
  /** Attempts per message before it is abandoned (Kratos's `message_retries`). */
  COURIER_MAX_ATTEMPTS: positive.max(100).default(5),
  /** First retry delay in milliseconds; each later one doubles. */
  COURIER_BACKOFF_MS: positive.default(10_000),
  /** Jobs one worker process sends at the same time. */
  COURIER_CONCURRENCY: positive.max(1000).default(10),
  /**
   * BullMQ key prefix in Redis; producer and workers must agree. Unset: `registrar_` and the
   * database name (see `courierQueuePrefix`).
   */
  COURIER_QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_:-]{1,50}$/)
    .optional(),
  /** Messages per recipient address within the send window. */
  COURIER_SENDS_PER_ADDRESS: positive.default(5),
  /** Messages per client IP address within the send window. */
  COURIER_SENDS_PER_IP: positive.default(20),
  /** Window of both send limits, in seconds. */
  COURIER_SEND_WINDOW_SECONDS: positive.default(3600),
  /** Port of the embedded SMTP capture server when `SMTP_URL` is unset; 0 picks a free port. */
  COURIER_CAPTURE_PORT: z.coerce.number().int().min(0).max(65_535).default(1025),
  /** Mails the capture server keeps in memory. */
  COURIER_CAPTURE_MAX_MESSAGES: positive.max(10_000).default(100),
});

export type CourierConfig = z.infer<typeof courierConfigSchema>;

/** Parses the courier settings; an invalid value raises `ConfigError` naming the key. */
export function parseCourierConfig(env: Record<string, string | undefined>): CourierConfig {
  const result = courierConfigSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join(".")}: ${issue.message}`,
    );
    throw new ConfigError(`invalid configuration: ${problems.join("; ")}`);
  }
  return result.data;
}

/**
 * Returns the BullMQ key prefix: the configured one, or `registrar_<database name>`, so that
 * deployments sharing a Redis server never take each other's jobs. A worker whose job names
 * an event missing from its own database would otherwise abandon another deployment's mail.
 */
export function courierQueuePrefix(configured: string | undefined, databaseUrl: string): string {
  if (configured) return configured;
  const name = decodeURIComponent(new URL(databaseUrl).pathname.slice(1)) || "registrar";
  return `registrar_${name.replace(/[^A-Za-z0-9_-]/g, "_")}`.slice(0, 50);
}
