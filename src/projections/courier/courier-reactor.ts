import type { Logger } from "pino";
import type { CourierJob } from "../../courier/courier-queue.ts";
import { courierEventTypes, readMessageId } from "../../courier/message-request.ts";
import type { ProjectionDefinition } from "../projection.ts";

/** Destination of the reactor's jobs. `CourierProducer` is the one used outside tests. */
export interface CourierJobSink {
  enqueue(jobs: readonly CourierJob[]): Promise<void>;
}

export interface CourierReactorOptions {
  producer: CourierJobSink;
  logger: Logger;
  /** Projection name; `courier_reactor` when omitted. Tests use their own. */
  name?: string;
}

/**
 * Turns each `VerificationMessageRequested` and `RecoveryMessageRequested` event into a courier
 * job whose id is the event id, so a batch applied twice enqueues nothing new. A failed enqueue,
 * such as during a Redis outage, fails the batch; the checkpoint stays, and the runner retries
 * with backoff and never dead-letters it. An event without a valid message id is logged and
 * skipped, because retrying it could never succeed and would hold back every later mail.
 */
export function courierReactor(options: CourierReactorOptions): ProjectionDefinition {
  return {
    name: options.name ?? "courier_reactor",
    version: 1,
    kind: "reactor",
    eventTypes: courierEventTypes,
    tables: [],
    maxAttempts: Number.POSITIVE_INFINITY,
    batchSize: 200,
    async createTables() {},
    async apply(events) {
      const jobs: CourierJob[] = [];
      for (const event of events) {
        const messageId = readMessageId(event);
        if (!messageId) {
          options.logger.error(
            { event_id: event.eventId, event_type: event.type, stream_id: event.streamId },
            "courier request has no valid message id; no mail is sent for it",
          );
          continue;
        }
        jobs.push({
          eventId: event.eventId,
          streamId: event.streamId,
          streamVersion: event.streamVersion,
          messageId,
        });
      }
      await options.producer.enqueue(jobs);
    },
  };
}
