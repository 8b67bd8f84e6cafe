import { afterAll, beforeAll, expect, it } from "vitest";
import { migrate } from "../../src/db/migrate.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase("migrate");
});

afterAll(async () => {
  await database.drop();
});

async function schemaSnapshot(): Promise<unknown[]> {
  const { rows } = await database.pool.query(
    `SELECT table_name, column_name, data_type FROM information_schema.columns
     WHERE table_schema = 'public' ORDER BY table_name, column_name`,
  );
  return rows;
}

it("changes nothing when run a second time", async () => {
  const before = await schemaSnapshot();
  const report = await migrate(database.url);
  expect(report.applied).toEqual([]);
  expect(report.skipped).toBeGreaterThan(0);
  expect(await schemaSnapshot()).toEqual(before);
});

it("applies concurrent runs once", async () => {
  const reports = await Promise.all([migrate(database.url), migrate(database.url)]);
  expect(reports.flatMap((report) => report.applied)).toEqual([]);
});

it("rejects a changed migration that was applied", async () => {
  await database.pool.query(
    "UPDATE schema_migrations SET checksum = 'changed' WHERE name = '0001_event_store.sql'",
  );
  await expect(migrate(database.url)).rejects.toThrow(/0001_event_store.sql changed/);
});
