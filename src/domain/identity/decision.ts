import type { DomainError } from "./errors.ts";
import type { IdentityEvent } from "./events.ts";

/**
 * Result of a decide function: the events to append, or the business rule the command broke.
 * An empty event list means the command changes nothing (revoking a revoked session).
 */
export type Decision = { events: IdentityEvent[] } | DomainError;

/** Wraps events as an accepted decision. */
export function accept(...events: IdentityEvent[]): Decision {
  return { events };
}
