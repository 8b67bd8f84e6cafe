import { z } from "zod";
import { InvalidEventError } from "./errors.ts";
import type { NewEvent } from "./port.ts";

const actorSchema = z.strictObject({
  type: z.enum(["identity", "admin", "system", "anonymous"]),
  /** Identity id, API key id or system component name. */
  id: z.string().max(200).optional(),
  sessionId: z.string().max(200).optional(),
  authMethod: z.string().max(100).optional(),
});

// IP and user agent are usually stored encrypted, and ciphertext is about 1.4 times longer.
const sourceSchema = z.strictObject({
  requestId: z.string().max(200).optional(),
  ip: z.string().max(400).optional(),
  userAgent: z.string().max(2000).optional(),
});

/** Metadata every event carries: who acted, why, from where and when. */
export const eventMetadataSchema = z.strictObject({
  correlationId: z.string().min(1).max(200),
  causationId: z.string().min(1).max(200).nullable(),
  actor: actorSchema,
  source: sourceSchema.optional(),
  occurredAt: z.iso.datetime({ offset: true }),
});

export type EventMetadata = z.infer<typeof eventMetadataSchema>;
export type EventActor = z.infer<typeof actorSchema>;
export type EventSource = z.infer<typeof sourceSchema>;

const eventTypePattern = /^[A-Z][A-Za-z0-9]{1,99}$/;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const streamIdPattern = /^[A-Za-z0-9][A-Za-z0-9_.:$-]{0,199}$/;

/** Checks a stream id and the events of an append, raising `InvalidEventError` on the first fault. */
export function validateAppend(streamId: string, events: readonly NewEvent[]): void {
  if (!streamIdPattern.test(streamId)) {
    throw new InvalidEventError(`invalid stream id: ${JSON.stringify(streamId.slice(0, 200))}`);
  }
  if (events.length === 0) {
    throw new InvalidEventError("an append needs at least one event");
  }

  const seen = new Set<string>();
  for (const event of events) {
    if (!uuidPattern.test(event.eventId)) {
      throw new InvalidEventError(`event id must be a UUID: ${JSON.stringify(event.eventId)}`);
    }
    if (seen.has(event.eventId)) {
      throw new InvalidEventError(`event id ${event.eventId} appears twice in one append`);
    }
    seen.add(event.eventId);

    if (!eventTypePattern.test(event.type)) {
      throw new InvalidEventError(`invalid event type: ${JSON.stringify(event.type)}`);
    }
    const schemaVersion = event.schemaVersion ?? 1;
    if (!Number.isInteger(schemaVersion) || schemaVersion < 1) {
      throw new InvalidEventError(`schema version of ${event.type} must be a positive integer`);
    }
    if (event.data === null || typeof event.data !== "object" || Array.isArray(event.data)) {
      throw new InvalidEventError(`data of ${event.type} must be a JSON object`);
    }

    const parsed = eventMetadataSchema.safeParse(event.metadata);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InvalidEventError(
        `invalid metadata on ${event.type} at ${issue?.path.join(".") || "(root)"}: ${issue?.message}`,
      );
    }
  }
}
