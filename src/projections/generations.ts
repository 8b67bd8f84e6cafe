import type pg from "pg";
import type { EventStore } from "../eventstore/port.ts";
import { START } from "../eventstore/port.ts";
import { type ProjectionDefinition, physicalTableName } from "./projection.ts";

export type GenerationState = "building" | "live" | "retired";

export interface GenerationRow {
  projection: string;
  generation: number;
  code_version: number;
  state: GenerationState;
  position: string;
  events_applied: string;
  last_error: string | null;
  updated_at: Date;
}

/** Raised on a rebuild of a reactor, which would repeat its side effects. */
export class ReactorRebuildError extends Error {
  override readonly name = "ReactorRebuildError";

  constructor(readonly projection: string) {
    super(`projection ${projection} is a reactor; rebuilding would repeat its effects`);
  }
}

// Advisory lock class for projection bookkeeping; any constant unused elsewhere works.
const generationsLockClass = 7_341_002;

/**
 * Makes sure a projection has a live generation and, when its code version changed, a building
 * one. A new read model starts live from the first event. A new reactor starts at the head, so
 * it never repeats the effects of old events.
 */
export async function ensureGenerations(
  pool: pg.Pool,
  store: EventStore,
  definition: ProjectionDefinition,
): Promise<void> {
  await inTransaction(pool, async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [
      generationsLockClass,
      definition.name,
    ]);
    const rows = await loadGenerations(tx, definition.name);
    const live = rows.find((row) => row.state === "live");
    const building = rows.find((row) => row.state === "building");

    if (!live) {
      const position = definition.kind === "reactor" ? await store.headPosition() : START;
      await createGeneration(tx, definition, nextGeneration(rows), "live", position);
      return;
    }
    if (live.code_version === definition.version) return;

    if (definition.kind === "reactor") {
      await tx.query(
        "UPDATE projection_checkpoints SET code_version = $3 WHERE projection = $1 AND generation = $2",
        [definition.name, live.generation, definition.version],
      );
      return;
    }
    if (building?.code_version === definition.version) return;
    if (building) await retireGeneration(tx, definition, building.generation);
    await createGeneration(tx, definition, nextGeneration(rows), "building", START);
  });
}

/**
 * Starts a rebuild: new tables filled from the first event while the live generation keeps
 * serving. Returns the new generation number. Reactors cannot be rebuilt.
 */
export async function startRebuild(
  pool: pg.Pool,
  definition: ProjectionDefinition,
): Promise<number> {
  if (definition.kind === "reactor") throw new ReactorRebuildError(definition.name);
  return inTransaction(pool, async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [
      generationsLockClass,
      definition.name,
    ]);
    const rows = await loadGenerations(tx, definition.name);
    const building = rows.find((row) => row.state === "building");
    if (building) await retireGeneration(tx, definition, building.generation);

    const generation = nextGeneration(rows);
    await createGeneration(tx, definition, generation, "building", START);
    return generation;
  });
}

/**
 * Makes a caught-up building generation live: repoints the views at its tables and retires the
 * previous live generation, whose tables are then dropped. Events appended after the building
 * generation's last batch reach it in its next batches, as for any live generation.
 */
export async function promoteGeneration(
  pool: pg.Pool,
  definition: ProjectionDefinition,
  generation: number,
): Promise<void> {
  const retired = await inTransaction(pool, async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [
      generationsLockClass,
      definition.name,
    ]);
    const rows = await loadGenerations(tx, definition.name);
    const building = rows.find((row) => row.generation === generation);
    if (building?.state !== "building") return undefined;

    const live = rows.find((row) => row.state === "live");
    if (live) {
      await tx.query(
        "UPDATE projection_checkpoints SET state = 'retired', updated_at = now() WHERE projection = $1 AND generation = $2",
        [definition.name, live.generation],
      );
    }
    await tx.query(
      "UPDATE projection_checkpoints SET state = 'live', updated_at = now() WHERE projection = $1 AND generation = $2",
      [definition.name, generation],
    );
    await pointViewsAt(tx, definition, generation);
    return live?.generation;
  });

  if (retired !== undefined) {
    await inTransaction(pool, (tx) => dropTables(tx, definition, retired));
  }
}

export async function loadGenerations(
  client: pg.Pool | pg.PoolClient,
  projection: string,
): Promise<GenerationRow[]> {
  const { rows } = await client.query<GenerationRow>(
    `SELECT projection, generation, code_version, state, position, events_applied, last_error, updated_at
     FROM projection_checkpoints WHERE projection = $1 ORDER BY generation`,
    [projection],
  );
  return rows;
}

async function createGeneration(
  tx: pg.PoolClient,
  definition: ProjectionDefinition,
  generation: number,
  state: GenerationState,
  position: string,
): Promise<void> {
  await definition.createTables(tx, (name) => physicalTableName(name, generation));
  await tx.query(
    `INSERT INTO projection_checkpoints (projection, generation, code_version, state, position)
     VALUES ($1, $2, $3, $4, $5)`,
    [definition.name, generation, definition.version, state, position],
  );
  if (state === "live") await pointViewsAt(tx, definition, generation);
}

async function retireGeneration(
  tx: pg.PoolClient,
  definition: ProjectionDefinition,
  generation: number,
): Promise<void> {
  await tx.query(
    "UPDATE projection_checkpoints SET state = 'retired', updated_at = now() WHERE projection = $1 AND generation = $2",
    [definition.name, generation],
  );
  await dropTables(tx, definition, generation);
}

async function pointViewsAt(
  tx: pg.PoolClient,
  definition: ProjectionDefinition,
  generation: number,
): Promise<void> {
  for (const table of definition.tables) {
    await tx.query(`DROP VIEW IF EXISTS ${table}`);
    await tx.query(`CREATE VIEW ${table} AS SELECT * FROM ${physicalTableName(table, generation)}`);
  }
}

async function dropTables(
  tx: pg.PoolClient,
  definition: ProjectionDefinition,
  generation: number,
): Promise<void> {
  for (const table of definition.tables) {
    await tx.query(`DROP TABLE IF EXISTS ${physicalTableName(table, generation)} CASCADE`);
  }
}

function nextGeneration(rows: readonly GenerationRow[]): number {
  return rows.reduce((max, row) => Math.max(max, row.generation), 0) + 1;
}

export async function inTransaction<T>(
  pool: pg.Pool,
  work: (tx: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const tx = await pool.connect();
  try {
    await tx.query("BEGIN");
    const result = await work(tx);
    await tx.query("COMMIT");
    tx.release();
    return result;
  } catch (error) {
    await tx.query("ROLLBACK").catch(() => undefined);
    tx.release();
    throw error;
  }
}
