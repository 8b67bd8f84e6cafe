import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";

let app: TestApp;
let identityId: string;

beforeAll(async () => {
  app = await startTestApp("patch_limits");
  const created = await fetch(`${app.adminUrl}/admin/identities`, {
    method: "POST",
    headers: { Authorization: `Bearer ${app.adminKey}`, "Content-Type": "application/json" },
    body: JSON.stringify({ schema_id: "default", traits: { email: "patched@example.com" } }),
  });
  identityId = ((await created.json()) as { id: string }).id;
});

afterAll(async () => {
  await app?.close();
});

async function patch(operations: unknown[], contentType = "application/json") {
  const response = await fetch(`${app.adminUrl}/admin/identities/${identityId}`, {
    method: "PATCH",
    headers: { Authorization: `Bearer ${app.adminKey}`, "Content-Type": contentType },
    body: JSON.stringify(operations),
  });
  return { status: response.status, body: (await response.json()) as { error?: { id: string } } };
}

async function countEvents(): Promise<number> {
  const { rows } = await app.database.pool.query("SELECT count(*)::int AS n FROM events");
  return rows[0].n;
}

it("accepts the JSON Patch media type", async () => {
  const operations = [{ op: "add", path: "/metadata_public", value: { plan: "pro" } }];
  const result = await patch(operations, "application/json-patch+json");
  expect(result.status).toBe(200);
  expect(result.body).toMatchObject({ metadata_public: { plan: "pro" } });
});

it("rejects copy operations that double the identity past the limit", async () => {
  const before = await countEvents();
  const operations: unknown[] = [
    { op: "replace", path: "/metadata_admin", value: { x: "0123456789".repeat(100) } },
  ];
  for (let n = 0; n < 40; n += 1) {
    operations.push({ op: "copy", from: "/metadata_admin", path: `/metadata_admin/k${n}` });
  }
  const result = await patch(operations);
  expect(result.status).toBe(400);
  expect(result.body.error?.id).toBe("bad_request");
  expect(await countEvents()).toBe(before);
});

it("rejects moving a value into its own child", async () => {
  const before = await countEvents();
  const result = await patch([{ op: "move", from: "/traits", path: "/traits/email" }]);
  expect(result.status).toBe(400);
  expect(result.body.error?.id).toBe("bad_request");
  expect(await countEvents()).toBe(before);
});
