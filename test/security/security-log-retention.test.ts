import { afterAll, beforeAll, expect, it } from "vitest";
import { purgeSecurityLog } from "../../src/security/security-log.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase("security_log_retention");
  const insert = `INSERT INTO security_log (event_type, metadata, occurred_at)
    VALUES ('LoginFailed', '{"source":{"ip":"192.0.2.1"}}', now() - make_interval(days => $1))`;
  for (const days of [0, 10, 100, 200]) await database.pool.query(insert, [days]);
});

afterAll(async () => {
  await database.drop();
});

async function ages(): Promise<number[]> {
  const { rows } = await database.pool.query(
    "SELECT extract(day FROM now() - occurred_at)::int AS days FROM security_log ORDER BY 1",
  );
  return rows.map((row) => row.days);
}

it("deletes only rows past the retention", async () => {
  expect(await purgeSecurityLog(database.pool, 90)).toBe(2);
  expect(await ages()).toEqual([0, 10]);
});

it("keeps rows immutable outside the purge", async () => {
  const error = await database.pool
    .query("DELETE FROM security_log WHERE occurred_at < now() - interval '5 days'")
    .catch((caught: unknown) => caught);
  expect((error as { code?: string }).code).toBe("RG010");
  const update = await database.pool
    .query("UPDATE security_log SET event_type = 'x'")
    .catch((caught: unknown) => caught);
  expect((update as { code?: string }).code).toBe("RG010");
  expect(await ages()).toEqual([0, 10]);
});

it("never purges rows younger than a day", async () => {
  expect(await purgeSecurityLog(database.pool, 0)).toBe(1);
  expect(await ages()).toEqual([0]);
});
