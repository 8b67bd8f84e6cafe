import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp("statement_timeout", { DATABASE_STATEMENT_TIMEOUT_MS: "300" });
});

afterAll(async () => {
  await app?.close();
});

it("cancels statements past the timeout", async () => {
  const started = Date.now();
  const error = await app.registrar.pool
    .query("SELECT pg_sleep(5)")
    .catch((caught: unknown) => caught);
  expect((error as { code?: string }).code).toBe("57014");
  expect(Date.now() - started).toBeLessThan(3_000);
  const { rows } = await app.registrar.pool.query("SELECT 1 AS one");
  expect(rows).toEqual([{ one: 1 }]);
});
