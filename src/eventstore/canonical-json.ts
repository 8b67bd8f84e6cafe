import { createHash } from "node:crypto";

/**
 * Serialises a JSON value with object keys sorted at every level, so that equal values give
 * equal text whatever order their keys were built or stored in (PostgreSQL's jsonb reorders
 * them). Numbers and strings use JSON.stringify's forms.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;

  const entries = Object.keys(value)
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .sort()
    .map(
      (key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`,
    );
  return `{${entries.join(",")}}`;
}

/**
 * SHA-256, as hex, of what the hash chain covers of an event besides its version and time:
 * stream, id, type, schema version, data and metadata.
 */
export function eventContentHash(event: EventContent): string {
  return eventContentDigest(event).toString("hex");
}

/** Computes `eventContentHash` as bytes. */
export function eventContentDigest(event: EventContent): Buffer {
  const content = canonicalJson([
    event.streamId,
    event.eventId,
    event.type,
    event.schemaVersion,
    event.data,
    event.metadata,
  ]);
  return createHash("sha256").update(content).digest();
}

interface EventContent {
  streamId: string;
  eventId: string;
  type: string;
  schemaVersion: number;
  data: unknown;
  metadata: unknown;
}
