import { randomBytes } from "node:crypto";
import pg from "pg";
import { ensureDatabase, migrate } from "../../src/db/migrate.ts";

const serverUrl = process.env.TEST_DATABASE_SERVER ?? "postgres://postgres@127.0.0.1:5432";

export interface TestDatabase {
  url: string;
  pool: pg.Pool;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/** Creates a fresh, migrated database for one test file. */
export async function createTestDatabase(label = "test"): Promise<TestDatabase> {
  const name = `rg_${label.replace(/[^a-z0-9]/gi, "_").toLowerCase()}_${randomBytes(5).toString("hex")}`;
  const url = `${serverUrl}/${name}`;
  await ensureDatabase(url);
  await migrate(url);
  const pool = new pg.Pool({ connectionString: url, max: 20 });
  // Idle clients still closing when the database is dropped report 57P01; nothing else is
  // expected here, so anything else fails the test run loudly.
  pool.on("error", (error: Error & { code?: string }) => {
    if (error.code !== "57P01") throw error;
  });

  return {
    url,
    pool,
    async drop() {
      await pool.end();
      const admin = new pg.Client({ connectionString: `${serverUrl}/postgres` });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}
