import type pg from "pg";
import type { RecordedEvent } from "../eventstore/port.ts";

/** Maps a logical table name (`identities`) to the physical table of one generation. */
export type TableNamer = (logicalName: string) => string;

export interface ProjectionContext {
  /** The transaction that also moves the checkpoint; write read-model rows through it. */
  tx: pg.PoolClient;
  table: TableNamer;
}

/**
 * A read model built from events. Its tables are created per generation, and readers see the
 * live generation through views named after the logical tables, so a rebuild can fill new
 * tables while the old ones keep serving.
 */
export interface ProjectionDefinition {
  name: string;
  /** Bump when the tables or the handler change; a new version rebuilds from the start. */
  version: number;
  /** `reactor`s have side effects: they start at the head and are never rebuilt. */
  kind: "read_model" | "reactor";
  /** Event types to receive; all types when omitted. */
  eventTypes?: readonly string[];
  /** Logical names of the tables `createTables` creates; each gets a view of the same name. */
  tables: readonly string[];
  createTables(tx: pg.PoolClient, table: TableNamer): Promise<void>;
  /**
   * Applies a batch of events in order. It must be idempotent per event (a guard on stream
   * version or event id), because a rebuild or a dead-letter retry can deliver an event again.
   */
  apply(events: readonly RecordedEvent[], context: ProjectionContext): Promise<void>;
  /** Attempts before an event goes to the dead-letter table; reactors usually retry forever. */
  maxAttempts?: number;
  /** Events per transaction; 500 when omitted. */
  batchSize?: number;
  /**
   * Time to wait after a wake-up before reading, so that a burst of appends lands in one
   * batch. Set it only for read models that no request waits for. 0 when omitted.
   */
  batchDelayMs?: number;
}

export function physicalTableName(logicalName: string, generation: number): string {
  return `${logicalName}_g${generation}`;
}
