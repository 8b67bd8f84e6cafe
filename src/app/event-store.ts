import { KurrentDBClient } from "@kurrent/kurrentdb-client";
import type pg from "pg";
import type { Logger } from "pino";
import type { RawConfig } from "../config/config.ts";
import { KurrentDbEventStore } from "../eventstore/kurrentdb/kurrentdb-event-store.ts";
import type { EventStore } from "../eventstore/port.ts";
import { PostgresEventStore } from "../eventstore/postgres/postgres-event-store.ts";
import type { PersonalData } from "../personal-data/create-personal-data.ts";

/**
 * Builds the event store: PostgreSQL by default, KurrentDB when `KURRENTDB_URL` is set. Read
 * models, checkpoints and personal-data keys stay in PostgreSQL either way.
 */
export function createEventStore(
  config: RawConfig,
  deps: { pool: pg.Pool; personalData: PersonalData; logger: Logger },
): EventStore {
  if (!config.KURRENTDB_URL) return new PostgresEventStore({ pool: deps.pool });

  deps.logger.info("using KurrentDB as the event store");
  return new KurrentDbEventStore({
    client: KurrentDBClient.connectionString(config.KURRENTDB_URL),
    destroySubjectKeys: async (subjectIds) => {
      await Promise.all(subjectIds.map((id) => deps.personalData.keys.destroy(id)));
    },
    logger: deps.logger.child({ component: "kurrentdb" }),
  });
}
