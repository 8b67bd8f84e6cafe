import type { IdentityEvent } from "./events.ts";
import { personalFieldsOf } from "./personal-fields.ts";

/**
 * Marker that replaces a personal field once the identity's data key is destroyed. It equals
 * the personal-data module's `ERASED`; the domain keeps its own copy to stay free of I/O code.
 */
export const erasedMarker = "[erased]";

// Empty values that keep folding well-typed where a field was erased.
const emptyByField: Record<string, () => unknown> = {
  traits: () => ({}),
  credentials: () => ({}),
  verifiableAddresses: () => [],
  recoveryAddresses: () => [],
  identifiersAdded: () => [],
  identifiersRemoved: () => [],
  metadataPublic: () => null,
  metadataAdmin: () => null,
  externalId: () => null,
  device: () => ({ id: erasedMarker }),
};

/**
 * Returns the event with every erased personal field replaced by an empty value of its type, so
 * that the history of an erased identity folds without errors. Other events come back as they
 * are.
 */
export function withoutErasedFields(event: IdentityEvent): IdentityEvent {
  const data = event.data as Record<string, unknown>;
  let replaced: Record<string, unknown> | undefined;
  for (const field of personalFieldsOf(event.type)) {
    if (data[field] !== erasedMarker) continue;
    replaced ??= { ...data };
    const empty = emptyByField[field];
    if (empty) replaced[field] = empty();
  }
  return replaced ? ({ ...event, data: replaced } as IdentityEvent) : event;
}
