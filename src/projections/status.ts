import type pg from "pg";
import type { EventStore } from "../eventstore/port.ts";

export interface GenerationStatus {
  generation: number;
  codeVersion: number;
  state: "building" | "live" | "retired";
  position: string;
  eventsApplied: number;
  /** Events between the checkpoint and the head, counted up to `lagCap`. */
  lagEvents: number;
  /** Seconds since the oldest event the generation has not applied; 0 when caught up. */
  lagSeconds: number;
  lastError: string | null;
  updatedAt: Date;
}

export interface ProjectionStatus {
  name: string;
  head: string;
  generations: GenerationStatus[];
  deadLetters: number;
}

const lagCap = 10_000;

/** Reports position, lag, state and dead letters of each projection, for the admin API. */
export async function readProjectionStatus(
  pool: pg.Pool,
  store: EventStore,
  names: readonly string[],
): Promise<ProjectionStatus[]> {
  const head = await store.headPosition();
  const { rows } = await pool.query<{
    projection: string;
    generation: number;
    code_version: number;
    state: GenerationStatus["state"];
    position: string;
    events_applied: string;
    last_error: string | null;
    updated_at: Date;
  }>(
    `SELECT projection, generation, code_version, state, position, events_applied, last_error, updated_at
     FROM projection_checkpoints WHERE projection = ANY ($1) AND state <> 'retired'
     ORDER BY projection, generation`,
    [names],
  );
  const { rows: dead } = await pool.query<{ projection: string; count: string }>(
    "SELECT projection, count(*) AS count FROM projection_dead_letters WHERE projection = ANY ($1) GROUP BY projection",
    [names],
  );

  const statuses: ProjectionStatus[] = [];
  for (const name of names) {
    const generations: GenerationStatus[] = [];
    for (const row of rows.filter((r) => r.projection === name)) {
      const pending = await store.readAll({ after: row.position, limit: lagCap });
      const oldest = pending.events[0];
      generations.push({
        generation: row.generation,
        codeVersion: row.code_version,
        state: row.state,
        position: row.position,
        eventsApplied: Number(row.events_applied),
        lagEvents: pending.events.length,
        lagSeconds: oldest ? Math.max(0, (Date.now() - oldest.recordedAt.getTime()) / 1000) : 0,
        lastError: row.last_error,
        updatedAt: row.updated_at,
      });
    }
    const deadLetters = Number(dead.find((d) => d.projection === name)?.count ?? 0);
    statuses.push({ name, head, generations, deadLetters });
  }
  return statuses;
}
