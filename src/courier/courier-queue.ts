import { z } from "zod";

/** Name of the BullMQ queue that carries courier jobs. */
export const courierQueueName = "courier";

/** Name of every job on the courier queue. */
export const courierJobName = "send";

/**
 * Payload of a courier job: ids only. The worker loads the address, code and link from the event
 * store at send time, so Redis never stores personal data or secrets.
 */
export const courierJobSchema = z.strictObject({
  eventId: z.uuid(),
  streamId: z.string().min(1).max(200),
  streamVersion: z.number().int().positive(),
  messageId: z.uuid(),
});

export type CourierJob = z.infer<typeof courierJobSchema>;

/** Retry and retention settings that the producer puts on every courier job. */
export interface CourierJobSettings {
  /** Attempts before a message is abandoned; Kratos's `message_retries` default is 5. */
  attempts: number;
  /** First retry delay in milliseconds; each later delay doubles. */
  backoffDelayMs: number;
  /**
   * Seconds a finished job stays in Redis. Until then, enqueueing the same event id again is a
   * no-op. After that, the worker still skips the job, because the courier stream shows it sent.
   */
  keepFinishedSeconds: number;
}

export const defaultCourierJobSettings: CourierJobSettings = {
  attempts: 5,
  backoffDelayMs: 10_000,
  keepFinishedSeconds: 7 * 24 * 3600,
};

/** Job options for one courier job; the job id is the request event's id. */
export function courierJobOptions(job: CourierJob, settings: CourierJobSettings) {
  return {
    jobId: job.eventId,
    attempts: settings.attempts,
    backoff: { type: "exponential", delay: settings.backoffDelayMs },
    removeOnComplete: { age: settings.keepFinishedSeconds },
    removeOnFail: { age: settings.keepFinishedSeconds },
  };
}
