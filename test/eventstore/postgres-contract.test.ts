import { PostgresEventStore } from "../../src/eventstore/postgres/postgres-event-store.ts";
import { createTestDatabase } from "../support/database.ts";
import { describeEventStoreContract } from "./contract.ts";

describeEventStoreContract("PostgreSQL", async ({ upcasters }) => {
  const database = await createTestDatabase("es_contract");
  return {
    store: new PostgresEventStore({ pool: database.pool, upcasters }),
    close: () => database.drop(),
  };
});
