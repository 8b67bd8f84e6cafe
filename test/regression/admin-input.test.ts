import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { adminCall, countEvents, expectErrorEnvelope, publicCall, send } from "../e2e/support.ts";
import { startTestApp, type TestApp } from "../support/app.ts";

const commandsOnlyKey = randomBytes(32).toString("base64url");
const identitiesOnlyKey = randomBytes(32).toString("base64url");
let app: TestApp;

function digest(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

beforeAll(async () => {
  app = await startTestApp("regression_admin_input", {
    ADMIN_API_KEYS: JSON.stringify([
      { id: "commands-only", sha256: digest(commandsOnlyKey), scopes: ["commands:write"] },
      { id: "identities-only", sha256: digest(identitiesOnlyKey), scopes: ["identities:write"] },
    ]),
  });
});

afterAll(async () => {
  await app?.close();
});

async function createIdentity(email: string): Promise<string> {
  const created = await adminCall(app, "POST", "/admin/identities", {
    json: { schema_id: "default", traits: { email } },
  });
  expect(created.status, created.text).toBe(201);
  return created.body.id;
}

it("rejects copy chains and moves into a child", async () => {
  const id = await createIdentity("patched@example.com");
  const before = await countEvents(app);
  const heapBefore = process.memoryUsage().heapUsed;

  const doubling: unknown[] = [{ op: "add", path: "/metadata_admin", value: { seed: "x" } }];
  for (let n = 0; n < 99; n += 1) {
    doubling.push({ op: "copy", from: "/metadata_admin", path: `/metadata_admin/c${n}` });
  }
  const wholeDocument: unknown[] = [{ op: "add", path: "/metadata_public", value: {} }];
  for (let n = 0; n < 99; n += 1) {
    wholeDocument.push({ op: "copy", from: "", path: `/metadata_public/c${n}` });
  }
  for (const [label, operations] of Object.entries({ doubling, wholeDocument })) {
    const reply = await adminCall(app, "PATCH", `/admin/identities/${id}`, { json: operations });
    expectErrorEnvelope(reply, 400, "bad_request", `copy chain ${label}`);
  }
  expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);

  const moves = [
    { op: "move", from: "/metadata_public", path: "/metadata_public/child" },
    { op: "move", from: "/traits", path: "/traits/email" },
    { op: "move", from: "/traits", path: "/traits/nested/deeper" },
  ];
  await adminCall(app, "PATCH", `/admin/identities/${id}`, {
    json: [{ op: "add", path: "/metadata_public", value: { a: 1 } }],
  });
  const afterSetup = await countEvents(app);
  for (const move of moves) {
    const reply = await adminCall(app, "PATCH", `/admin/identities/${id}`, { json: [move] });
    expectErrorEnvelope(reply, 400, "bad_request", `move ${move.from} to ${move.path}`);
  }
  expect(afterSetup - before).toBeLessThanOrEqual(1);
  expect(await countEvents(app)).toBe(afterSetup);
});

it("needs identities:write to delete by command", async () => {
  const id = await createIdentity("delete-by-command@example.com");
  const command = (key: string) =>
    send(app.adminUrl, "POST", "/admin/commands/DeleteIdentity", {
      headers: { Authorization: `Bearer ${key}` },
      json: { identity_id: id },
    });

  expectErrorEnvelope(await command(commandsOnlyKey), 403, "forbidden", "commands:write only");
  expectErrorEnvelope(await command(identitiesOnlyKey), 403, "forbidden", "identities:write only");
  const removed = await send(app.adminUrl, "DELETE", `/admin/identities/${id}`, {
    headers: { Authorization: `Bearer ${commandsOnlyKey}` },
  });
  expectErrorEnvelope(removed, 403, "forbidden", "DELETE with commands:write only");
  expect((await adminCall(app, "GET", `/admin/identities/${id}`)).status).toBe(200);

  expect((await command(app.adminKey)).status).toBe(200);
});

it("rejects imported hashes over the cost limits", async () => {
  const salt = randomBytes(16).toString("base64").replace(/=+$/, "");
  const key = randomBytes(32).toString("base64").replace(/=+$/, "");
  const bcryptTail = "N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy";
  const tooCostly = {
    "bcrypt cost 14": `$2b$14$${bcryptTail}`,
    "argon2 m=524288": `$argon2id$v=19$m=524288,t=1,p=1$${salt}$${key}`,
    "pbkdf2 2,000,000 iterations": `$pbkdf2-sha256$i=2000000,l=32$${salt}$${key}`,
  };
  const before = await countEvents(app);
  for (const [label, hashed_password] of Object.entries(tooCostly)) {
    const reply = await adminCall(app, "POST", "/admin/identities", {
      json: {
        schema_id: "default",
        traits: { email: `import-${before}-${label.length}@example.com` },
        credentials: { password: { config: { hashed_password } } },
      },
    });
    expectErrorEnvelope(reply, 400, "bad_request", label);
  }
  expect(await countEvents(app)).toBe(before);

  const cheap = await adminCall(app, "POST", "/admin/identities", {
    json: {
      schema_id: "default",
      traits: { email: "import-cheap@example.com" },
      credentials: { password: { config: { hashed_password: `$2b$04$${bcryptTail}` } } },
    },
  });
  expect(cheap.status, cheap.text).toBe(201);
});

it("wraps TRACE, overrides and unrouted methods", async () => {
  const id = await createIdentity("override@example.com");
  const auth = { Authorization: `Bearer ${app.adminKey}` };
  const cases: [string, string, string, Record<string, string>, number, string][] = [
    [app.publicUrl, "TRACE", "/health/alive", {}, 405, "method_not_allowed"],
    [app.publicUrl, "TRACE", "/self-service/registration/api", {}, 405, "method_not_allowed"],
    [app.publicUrl, "PROPFIND", "/schemas", {}, 405, "method_not_allowed"],
    [app.publicUrl, "MKCOL", "/nowhere", {}, 405, "method_not_allowed"],
    [app.adminUrl, "TRACE", "/admin/identities", auth, 405, "method_not_allowed"],
    [app.adminUrl, "PROPFIND", `/admin/identities/${id}`, auth, 405, "method_not_allowed"],
    [app.adminUrl, "TRACE", "/admin/identities", {}, 401, "unauthorized"],
    [
      app.publicUrl,
      "POST",
      "/health/alive",
      { "X-HTTP-Method-Override": "GET" },
      405,
      "method_not_allowed",
    ],
  ];
  for (const [base, method, path, headers, status, errorId] of cases) {
    const reply = await send(base, method, path, { headers });
    expectErrorEnvelope(reply, status, errorId, `${method} ${path}`);
    expect(reply.body.error.request, `${method} ${path} request id`).toMatch(/^[0-9a-f-]{36}$/);
  }

  const overridden = await send(app.adminUrl, "GET", `/admin/identities/${id}`, {
    headers: { ...auth, "X-HTTP-Method-Override": "DELETE", "X-HTTP-Method": "DELETE" },
  });
  expect(overridden.status).toBe(200);
  const patched = await send(app.adminUrl, "POST", `/admin/identities/${id}`, {
    headers: { ...auth, "X-HTTP-Method-Override": "DELETE" },
    json: {},
  });
  expectErrorEnvelope(patched, 405, "method_not_allowed", "POST with an override to DELETE");
  expect((await adminCall(app, "GET", `/admin/identities/${id}`)).status).toBe(200);
  const whoami = await publicCall(app, "GET", "/sessions/whoami", {
    headers: { "X-HTTP-Method-Override": "DELETE" },
  });
  expectErrorEnvelope(whoami, 401, "session_inactive", "whoami with an override");
});

// NOTE: Node's HTTP parser rejects a method token it does not know (`FOO`, lowercase `get`)
// before Koa runs. The servers have no `clientError` handler, so the response is a bare
// `400 Bad Request` with an empty body instead of the error envelope.
it("wraps unknown method tokens in the envelope", async () => {
  for (const base of [app.publicUrl, app.adminUrl]) {
    const reply = await send(base, "FOO", "/health/alive");
    expect(reply.status).toBeGreaterThanOrEqual(400);
    expect(reply.body?.error?.id, `${base} FOO`).toMatch(/^(bad_request|method_not_allowed)$/);
  }
});
