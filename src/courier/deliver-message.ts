import { WrongExpectedVersionError } from "../eventstore/errors.ts";
import type { EventStore, RecordedEvent } from "../eventstore/port.ts";
import { isErased } from "../personal-data/erased.ts";
import { type AbandonReason, courierStreamId, foldDeliveryHistory } from "./courier-events.ts";
import type { CourierJob } from "./courier-queue.ts";
import type { CourierSecretReader } from "./courier-secrets.ts";
import { CourierStreamWriter } from "./courier-stream-writer.ts";
import { assertSingleAddress, type Mailbox, UnsafeHeaderError } from "./header-safety.ts";
import { describeDeliveryError, type MailTransport, sendRenderedMail } from "./mail-transport.ts";
import {
  type CourierMessageRequest,
  extractMessageRequest,
  InvalidMessageRequestError,
  secretValues,
} from "./message-request.ts";
import type { CourierTemplates } from "./templates.ts";

export interface DeliveryDependencies {
  store: EventStore;
  /** Decrypts personal fields; `PersonalDataCodec` is the real one. */
  codec: { decryptEvents<E extends RecordedEvent>(events: readonly E[]): Promise<E[]> };
  /** Source of each message's code or link, such as `CourierSecretStore`. */
  secrets: Pick<CourierSecretReader, "findSecret">;
  transport: MailTransport;
  templates: CourierTemplates;
  from: Mailbox;
  /**
   * Milliseconds a started delivery reserves the message before another worker may take it
   * over, assuming the first one died. It must exceed the longest SMTP send. 120 000 when omitted.
   */
  leaseMs?: number;
  now?: () => Date;
}

/** A job with its attempt number and attempt limit, as BullMQ counts them. */
export interface DeliveryAttempt {
  job: CourierJob;
  attempt: number;
  maxAttempts: number;
}

export type DeliveryOutcome =
  | { kind: "sent"; recorded: boolean }
  | { kind: "skipped"; outcome: "sent" | "abandoned" }
  | { kind: "abandoned"; reason: AbandonReason }
  /** Another worker holds the lease; try again at `retryAt` without using an attempt. */
  | { kind: "busy"; retryAt: Date };

/** Raised when the SMTP server did not take the message; `final` when no attempt is left. */
export class DeliveryFailedError extends Error {
  override readonly name = "DeliveryFailedError";

  constructor(
    readonly safeMessage: string,
    readonly final: boolean,
  ) {
    super(`courier delivery failed: ${safeMessage}`);
  }
}

/**
 * Delivers one requested message. It skips a message whose courier stream already shows an
 * outcome. It abandons one whose identity was erased, whose address is unsafe, or whose code
 * expired or has no stored secret any more, because it was used or replaced. Otherwise it
 * records the start of the attempt with an expected version, so no second worker sends at the
 * same time, then sends and records the outcome. Raises `DeliveryFailedError` after recording a
 * failed attempt.
 *
 * NOTE: a worker that dies after the SMTP server accepted the mail but before it was recorded
 * leaves a delivery start without outcome; once its lease expires the mail is sent again, with
 * the same Message-ID header.
 */
export async function deliverMessage(
  deps: DeliveryDependencies,
  { job, attempt, maxAttempts }: DeliveryAttempt,
): Promise<DeliveryOutcome> {
  const now = deps.now ?? (() => new Date());
  const [stored] = await deps.store.readStream(job.streamId, {
    fromVersion: job.streamVersion,
    toVersion: job.streamVersion,
  });
  const cause = {
    correlationId: stored?.metadata.correlationId ?? job.eventId,
    causationId: job.eventId,
  };
  const writer = new CourierStreamWriter(deps.store, job.messageId, cause);
  const history = foldDeliveryHistory(await deps.store.readStream(courierStreamId(job.messageId)));
  if (history.outcome !== "pending") return { kind: "skipped", outcome: history.outcome };

  const abandon = async (reason: AbandonReason): Promise<DeliveryOutcome> => {
    await writer.abandoned(history.version, reason, now().toISOString());
    return { kind: "abandoned", reason };
  };

  const request = await loadRequest(deps, job, stored);
  if (request === "invalid") return abandon("invalid_request");
  if (isErased(request.address)) return abandon("identity_erased");
  if (request.expiresAt.getTime() <= now().getTime()) return abandon("expired");
  const secret = await deps.secrets.findSecret(request, now());
  if (secret === undefined) return abandon("expired");
  if (isErased(secret)) return abandon("identity_erased");
  try {
    assertSingleAddress(request.address);
  } catch (error) {
    if (error instanceof UnsafeHeaderError) return abandon("invalid_recipient");
    throw error;
  }

  const leaseHolder = history.inFlight;
  if (leaseHolder && new Date(leaseHolder.leaseExpiresAt) > now()) {
    return { kind: "busy", retryAt: new Date(leaseHolder.leaseExpiresAt) };
  }

  const mail = deps.templates.render(request.template, {
    to: request.address,
    ...secretValues(request.template, secret),
    expiresAt: request.expiresAt,
  });
  const startedAt = now();
  let version: number;
  try {
    version = await writer.started(history.version, {
      attempt,
      subject: mail.subject,
      startedAt: startedAt.toISOString(),
      leaseExpiresAt: new Date(startedAt.getTime() + (deps.leaseMs ?? 120_000)).toISOString(),
    });
  } catch (error) {
    if (!(error instanceof WrongExpectedVersionError)) throw error;
    return { kind: "busy", retryAt: new Date(now().getTime() + 1_000) };
  }

  try {
    const to = { address: request.address };
    await sendRenderedMail(
      deps.transport,
      { from: deps.from, to, messageId: messageIdHeader(deps.from, job) },
      mail,
    );
  } catch (error) {
    const safeMessage = describeDeliveryError(error, [request.address, secret]);
    const final = attempt >= maxAttempts;
    await writer.failed(
      version,
      { attempt, error: safeMessage, failedAt: now().toISOString() },
      final,
    );
    throw new DeliveryFailedError(safeMessage, final);
  }

  try {
    await writer.sent(version, { attempt, sentAt: now().toISOString() });
    return { kind: "sent", recorded: true };
  } catch (error) {
    if (!(error instanceof WrongExpectedVersionError)) throw error;
    return { kind: "sent", recorded: false };
  }
}

/**
 * Abandons a message after its last attempt failed on something other than the SMTP server, such
 * as an undecryptable event, unless the courier stream already shows an outcome.
 */
export async function abandonAfterFault(
  deps: Pick<DeliveryDependencies, "store" | "now">,
  job: CourierJob,
): Promise<void> {
  const history = foldDeliveryHistory(await deps.store.readStream(courierStreamId(job.messageId)));
  if (history.outcome !== "pending") return;
  const cause = { correlationId: job.eventId, causationId: job.eventId };
  const writer = new CourierStreamWriter(deps.store, job.messageId, cause);
  const at = (deps.now ?? (() => new Date()))().toISOString();
  await writer.abandoned(history.version, "retries_exhausted", at);
}

async function loadRequest(
  deps: DeliveryDependencies,
  job: CourierJob,
  stored: RecordedEvent | undefined,
): Promise<(CourierMessageRequest & { address: string }) | "invalid"> {
  if (!stored || stored.eventId !== job.eventId) return "invalid";
  const [event] = await deps.codec.decryptEvents([stored]);
  try {
    const request = extractMessageRequest(event!);
    return request.messageId === job.messageId ? request : "invalid";
  } catch (error) {
    if (error instanceof InvalidMessageRequestError) return "invalid";
    throw error;
  }
}

/** Builds a Message-ID that stays the same across attempts: `<message id@sender domain>`. */
function messageIdHeader(from: Mailbox, job: CourierJob): string {
  const domain = from.address.slice(from.address.lastIndexOf("@") + 1);
  return `<${job.messageId}@${domain}>`;
}
