import { createHash } from "node:crypto";
import type { EventMetadata } from "../envelope.ts";

/** The previous hash of a stream's first event. */
export const genesisHash = "0".repeat(64);

/** The fields of an event that its hash covers. */
export interface ChainedEvent {
  streamId: string;
  streamVersion: number;
  eventId: string;
  type: string;
  schemaVersion: number;
  data: unknown;
  envelope: EventMetadata;
}

/**
 * Hashes one link of a stream's chain: SHA-256 over the previous hash and the canonical JSON of
 * the event. `recordedAt` is not covered because KurrentDB assigns `created` after the hash is
 * computed.
 */
export function chainHash(previousHash: string, event: ChainedEvent): string {
  return createHash("sha256")
    .update(previousHash)
    .update("\n")
    .update(canonicalJson(event))
    .digest("hex");
}

/**
 * Serialises a value as JSON with object keys sorted at every depth. The value first goes
 * through `JSON.stringify`, so what was hashed before the append and what is read back from
 * KurrentDB's JSON hash alike (`undefined` fields dropped, dates as ISO strings).
 */
export function canonicalJson(value: unknown): string {
  const plain: unknown = JSON.parse(JSON.stringify(value) ?? "null");
  return serialise(plain);
}

function serialise(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(serialise).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${serialise((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value);
}
