import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { EventMetadata } from "../eventstore/envelope.ts";
import { WrongExpectedVersionError } from "../eventstore/errors.ts";
import type { EventStore, NewEvent } from "../eventstore/port.ts";
import {
  type AbandonReason,
  type CourierDeliveryFailedData,
  type CourierDeliveryStartedData,
  type CourierMessageAbandonedData,
  type CourierMessageSentData,
  courierStreamId,
} from "./courier-events.ts";

/** Correlation of courier events with the request event that caused them. */
export interface CourierCause {
  correlationId: string;
  /** Id of the request event. */
  causationId: string;
}

/**
 * Appends the courier's events for one message, each with an expected version, so that two
 * workers can never both record a delivery start or an outcome for the same stream version.
 */
export class CourierStreamWriter {
  readonly #store: EventStore;
  readonly #messageId: string;
  readonly #cause: CourierCause;

  constructor(store: EventStore, messageId: string, cause: CourierCause) {
    this.#store = store;
    this.#messageId = messageId;
    this.#cause = cause;
  }

  /** Records the start of an attempt; returns the stream version to expect for its outcome. */
  async started(version: number, data: Omit<CourierDeliveryStartedData, "messageId">) {
    return this.#append(version, [this.#event("CourierDeliveryStarted", data, data.startedAt)]);
  }

  /**
   * Records a sent message. The SMTP server has already accepted it, so transient store errors
   * are retried three times before the error is raised, when a later attempt might send again.
   */
  async sent(version: number, data: Omit<CourierMessageSentData, "messageId">): Promise<number> {
    const event = this.#event("CourierMessageSent", data, data.sentAt);
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.#append(version, [event]);
      } catch (error) {
        if (error instanceof WrongExpectedVersionError || attempt >= 3) throw error;
        await sleep(100 * attempt);
      }
    }
  }

  /** Records a failed attempt and, when it was the last one, the abandonment in one append. */
  async failed(
    version: number,
    data: Omit<CourierDeliveryFailedData, "messageId">,
    abandon: boolean,
  ): Promise<number> {
    const events = [this.#event("CourierDeliveryFailed", data, data.failedAt)];
    if (abandon) events.push(this.#abandonment("retries_exhausted", data.failedAt));
    return this.#append(version, events);
  }

  async abandoned(version: number, reason: AbandonReason, at: string): Promise<number> {
    return this.#append(version, [this.#abandonment(reason, at)]);
  }

  #abandonment(reason: AbandonReason, at: string): NewEvent {
    const data: Omit<CourierMessageAbandonedData, "messageId"> = { reason, abandonedAt: at };
    return this.#event("CourierMessageAbandoned", data, at);
  }

  #event(type: string, data: object, occurredAt: string): NewEvent {
    const metadata: EventMetadata = {
      correlationId: this.#cause.correlationId,
      causationId: this.#cause.causationId,
      actor: { type: "system", id: "courier" },
      occurredAt,
    };
    return { eventId: randomUUID(), type, data: { messageId: this.#messageId, ...data }, metadata };
  }

  async #append(version: number, events: NewEvent[]): Promise<number> {
    const expected = version === 0 ? "no_stream" : version;
    const result = await this.#store.append(courierStreamId(this.#messageId), expected, events);
    return result.version;
  }
}
