import type { RecordedEvent } from "../eventstore/port.ts";

/** Prefix of the courier's own stream per message. */
export const courierStreamPrefix = "courier-";

/** Builds the id of a message's courier stream: `courier-<message id>`. */
export function courierStreamId(messageId: string): string {
  return `${courierStreamPrefix}${messageId}`;
}

/** Reason the courier gave up on a message. */
export type AbandonReason =
  /** The identity's data key was destroyed, so the address is gone. */
  | "identity_erased"
  /** The address is not one single, header-safe email address. */
  | "invalid_recipient"
  /** The request event is missing or breaks the event contract. */
  | "invalid_request"
  /** The code or link expired before the mail could be sent. */
  | "expired"
  /** Every delivery attempt failed. */
  | "retries_exhausted";

/** A worker took the message and is sending it until `leaseExpiresAt`. */
export interface CourierDeliveryStartedData {
  messageId: string;
  attempt: number;
  subject: string;
  startedAt: string;
  leaseExpiresAt: string;
}

/** The SMTP server accepted the message. */
export interface CourierMessageSentData {
  messageId: string;
  attempt: number;
  sentAt: string;
}

/** One delivery attempt failed; `error` is safe text without address, code or link. */
export interface CourierDeliveryFailedData {
  messageId: string;
  attempt: number;
  error: string;
  failedAt: string;
}

/** The courier gave up on the message; nothing more is sent. */
export interface CourierMessageAbandonedData {
  messageId: string;
  reason: AbandonReason;
  abandonedAt: string;
}

/** Event types of courier streams. */
export const courierStreamEventTypes = [
  "CourierDeliveryStarted",
  "CourierMessageSent",
  "CourierDeliveryFailed",
  "CourierMessageAbandoned",
] as const;

/** Delivery state of one message, folded from its courier stream. */
export interface DeliveryHistory {
  /** Stream version, the expected version of the next append; 0 for no stream. */
  version: number;
  outcome: "pending" | "sent" | "abandoned";
  /** The last delivery start that has no outcome yet. */
  inFlight?: CourierDeliveryStartedData;
  failedAttempts: number;
}

/** Folds a message's courier stream into its delivery history. */
export function foldDeliveryHistory(events: readonly RecordedEvent[]): DeliveryHistory {
  const history: DeliveryHistory = { version: 0, outcome: "pending", failedAttempts: 0 };
  for (const event of events) {
    history.version = event.streamVersion;
    switch (event.type) {
      case "CourierDeliveryStarted":
        history.inFlight = event.data as CourierDeliveryStartedData;
        break;
      case "CourierMessageSent":
        history.outcome = "sent";
        history.inFlight = undefined;
        break;
      case "CourierDeliveryFailed":
        history.failedAttempts += 1;
        history.inFlight = undefined;
        break;
      case "CourierMessageAbandoned":
        history.outcome = "abandoned";
        history.inFlight = undefined;
        break;
    }
  }
  return history;
}
