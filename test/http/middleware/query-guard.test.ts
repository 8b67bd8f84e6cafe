import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../support/app.ts";

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp("query_guard");
});

afterAll(async () => {
  await app?.close();
});

it.each([
  ["NUL in an admin filter", "admin", "/admin/courier/messages?recipient=%00"],
  ["NUL in a flow id", "public", "/self-service/login/flows?id=%00"],
  ["NUL in a query key", "public", "/schemas?%00=1"],
])("rejects %s with 400", async (_name, port, path) => {
  const base = port === "admin" ? app.adminUrl : app.publicUrl;
  const response = await fetch(`${base}${path}`, {
    headers: { Authorization: `Bearer ${app.adminKey}` },
  });
  const body = (await response.json()) as { error?: { id: string } };
  expect(response.status).toBe(400);
  expect(body.error?.id).toBe("bad_request");
});
