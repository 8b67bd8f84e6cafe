import {
  type AllStreamRecordedEvent,
  BACKWARDS,
  START as CLIENT_START,
  type Position as ClientPosition,
  END,
  eventTypeFilter,
  excludeSystemEvents,
  type Filter,
} from "@kurrent/kurrentdb-client";
import {
  type Position,
  type ReadAllOptions,
  type ReadAllPage,
  type RecordedEvent,
  START,
} from "../port.ts";
import type { UpcasterRegistry } from "../upcasters.ts";
import type { KurrentDbClient } from "./client.ts";
import {
  compareClientPositions,
  compareKurrentPositions,
  formatPosition,
  parsePosition,
} from "./position.ts";
import { toRecordedEvent } from "./records.ts";
import { reservationStreamPrefix } from "./reservations.ts";

const defaultReadLimit = 1000;
const maxReadLimit = 10_000;
const minBatchSize = 100;

/** Server-side filter that drops system events, whose types start with `$`. */
export const userEventsFilter = (): Filter => excludeSystemEvents();

/**
 * Reads `$all` for the port: without system events and reservation streams, with positions as
 * encoded `commit/prepare` strings. It relies on `$all` being read in log order with no gaps:
 * KurrentDB shows an event to readers only after every event before it in the log.
 */
export class AllReader {
  readonly #client: KurrentDbClient;
  readonly #upcasters: UpcasterRegistry;

  constructor(client: KurrentDbClient, upcasters: UpcasterRegistry) {
    this.#client = client;
    this.#upcasters = upcasters;
  }

  async read(options: ReadAllOptions): Promise<ReadAllPage> {
    const limit = Math.min(Math.max(options.limit ?? defaultReadLimit, 1), maxReadLimit);
    const filter = typeFilter(options.types);
    // Read the head first: once the read below reaches the end of `$all`, every matching event
    // up to the head was returned, so the next page can start at the head.
    const head = await this.head();

    const events: RecordedEvent[] = [];
    let cursor = parsePosition(options.after);
    let reachedEnd = false;
    while (events.length < limit && !reachedEnd) {
      // One more than needed, because a forward read from a position includes the event there,
      // and at least a full batch, because reservation events are skipped here, not by the server.
      const maxCount = Math.max(limit - events.length + 1, minBatchSize);
      let received = 0;
      const read = this.#client.readAll({ fromPosition: cursor ?? CLIENT_START, maxCount, filter });
      for await (const { event: record } of read) {
        received += 1;
        if (!record || (cursor && compareClientPositions(record.position, cursor) <= 0)) continue;
        cursor = record.position;
        if (isHidden(record)) continue;
        events.push(toRecordedEvent(record, this.#upcasters));
        if (events.length === limit) break;
      }
      reachedEnd = events.length < limit && received < maxCount;
    }

    const last = events.at(-1);
    if (!reachedEnd) return { events, position: last?.position ?? options.after ?? START };
    const reached = cursor ? formatPosition(cursor) : START;
    return { events, position: latest([options.after ?? START, head, reached]) };
  }

  /** Returns the position of the last event that `read` can return, or `START` when none. */
  async head(): Promise<Position> {
    let cursor: ClientPosition | undefined;
    for (;;) {
      const before = cursor;
      let received = 0;
      const read = this.#client.readAll({
        direction: BACKWARDS,
        fromPosition: cursor ?? END,
        maxCount: minBatchSize,
        filter: userEventsFilter(),
      });
      for await (const { event: record } of read) {
        received += 1;
        // Skips the event at the cursor in case a backward read from a position includes it.
        if (!record || (cursor && compareClientPositions(record.position, cursor) >= 0)) continue;
        cursor = record.position;
        if (!isHidden(record)) return formatPosition(record.position);
      }
      if (received < minBatchSize) return START;
      if (cursor === before) throw new Error("reading $all backwards did not move past a batch");
    }
  }
}

/** Builds an event-type filter that matches the types exactly, or drops system events. */
function typeFilter(types: readonly string[] | undefined): Filter {
  if (!types || types.length === 0) return userEventsFilter();
  const alternatives = types.map((type) => type.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return eventTypeFilter({ regex: `^(?:${alternatives.join("|")})$` });
}

/** System events and streams (`$` prefix) and reservation streams are not part of the port. */
function isHidden(record: AllStreamRecordedEvent): boolean {
  return (
    record.type.startsWith("$") ||
    record.streamId.startsWith("$") ||
    record.streamId.startsWith(reservationStreamPrefix)
  );
}

function latest(positions: Position[]): Position {
  return positions.reduce((a, b) => (compareKurrentPositions(a, b) >= 0 ? a : b));
}
