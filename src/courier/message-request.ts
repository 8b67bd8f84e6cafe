import { z } from "zod";
import type { RecordedEvent } from "../eventstore/port.ts";
import type { Erased } from "../personal-data/erased.ts";

/** Event types in identity streams that ask the courier to send a message. */
export const courierEventTypes = [
  "VerificationMessageRequested",
  "RecoveryMessageRequested",
] as const;

export type CourierEventType = (typeof courierEventTypes)[number];

/** Kratos's template types that Registrar sends, with the event type that requests each. */
export const templateTypesByEvent = {
  VerificationMessageRequested: ["verification_code_valid", "verification_valid"],
  RecoveryMessageRequested: ["recovery_code_valid", "recovery_valid"],
} as const;

export type CourierTemplateType = (typeof templateTypesByEvent)[CourierEventType][number];

export const courierTemplateTypes = [
  "verification_code_valid",
  "verification_valid",
  "recovery_code_valid",
  "recovery_valid",
] as const satisfies readonly CourierTemplateType[];

/** Template types whose mail carries a code; the others carry a link. */
const codeTemplates: ReadonlySet<CourierTemplateType> = new Set([
  "verification_code_valid",
  "recovery_code_valid",
]);

/**
 * Fields of the request events that the flows encrypt with the identity's data key. The code
 * or link is not among them, because it is kept in `courier_secrets` and never in an event.
 */
export const courierEncryptedFields = ["address"] as const;

/** A decrypted request for one message, as the courier and its read model use it. */
export interface CourierMessageRequest {
  eventType: CourierEventType;
  messageId: string;
  flowId: string;
  identityId: string;
  template: CourierTemplateType;
  /** The recipient address, or `ERASED` once the identity's data key is destroyed. */
  address: string | Erased;
  expiresAt: Date;
}

/** Raised when a request event does not follow the event contract. */
export class InvalidMessageRequestError extends Error {
  override readonly name = "InvalidMessageRequestError";
}

const identityStreamPattern =
  /^identity-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

const requestDataSchema = z.object({
  messageId: z.uuid(),
  flowId: z.uuid(),
  template: z.enum(courierTemplateTypes),
  address: z.string().min(1).max(320),
  expiresAt: z.iso.datetime({ offset: true }),
});

/** Returns whether an event asks the courier to send a message. */
export function isCourierEvent(event: { type: string }): boolean {
  return (courierEventTypes as readonly string[]).includes(event.type);
}

/**
 * Reads the message id of a request event without decrypting it, as the reactor needs nothing
 * more. Returns undefined when the event carries no valid message id.
 */
export function readMessageId(event: RecordedEvent): string | undefined {
  const messageId = (event.data as { messageId?: unknown } | null)?.messageId;
  return z.uuid().safeParse(messageId).success ? (messageId as string) : undefined;
}

/**
 * Extracts the message request from a decrypted `VerificationMessageRequested` or
 * `RecoveryMessageRequested` event. Raises `InvalidMessageRequestError` when the event is of
 * another type, is not in an identity stream, or its data breaks the contract, such as a template
 * of the other flow. The error message names the invalid field, never its value. The event
 * carries no code or link, which the courier reads from `courier_secrets` at send time.
 */
export function extractMessageRequest(event: RecordedEvent): CourierMessageRequest {
  if (!isCourierEvent(event)) {
    throw new InvalidMessageRequestError(`${event.type} is not a courier message request`);
  }
  const identityId = identityStreamPattern.exec(event.streamId)?.[1];
  if (!identityId) {
    throw new InvalidMessageRequestError(`${event.type} must be in an identity stream`);
  }

  const parsed = requestDataSchema.safeParse(event.data);
  if (!parsed.success) {
    const path = parsed.error.issues[0]?.path.join(".") || "(data)";
    throw new InvalidMessageRequestError(`${event.type} has an invalid field: ${path}`);
  }
  const data = parsed.data;
  const allowed: readonly string[] = templateTypesByEvent[event.type as CourierEventType];
  if (!allowed.includes(data.template)) {
    throw new InvalidMessageRequestError(`${event.type} cannot use template ${data.template}`);
  }

  return {
    eventType: event.type as CourierEventType,
    messageId: data.messageId,
    flowId: data.flowId,
    identityId,
    template: data.template,
    address: data.address,
    expiresAt: new Date(data.expiresAt),
  };
}

/** Places a message's secret where its template shows it: `code` or `link`. */
export function secretValues(
  template: CourierTemplateType,
  secret: string,
): { code: string } | { link: string } {
  return codeTemplates.has(template) ? { code: secret } : { link: secret };
}
