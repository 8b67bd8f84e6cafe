import { readFileSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp("admin_version");
});

afterAll(async () => {
  await app?.close();
});

it("reports the package version with a key", async () => {
  const expected = JSON.parse(readFileSync("package.json", "utf8")).version;
  for (const path of ["/admin/version", "/version"]) {
    const response = await fetch(`${app.adminUrl}${path}`, {
      headers: { Authorization: `Bearer ${app.adminKey}` },
    });
    expect(response.status, path).toBe(200);
    expect(await response.json(), path).toEqual({ version: expected });
  }
});

it("requires a key for the version", async () => {
  const response = await fetch(`${app.adminUrl}/admin/version`);
  expect(response.status).toBe(401);
});
