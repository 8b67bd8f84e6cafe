import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../support/app.ts";
import {
  admin,
  countEvents,
  createIdentity,
  expectError,
  readOnlyKey,
  startAdminTestApp,
} from "./support.ts";

let app: TestApp;
let identityId: string;

interface Route {
  method: string;
  path: () => string;
  scope: string;
  body?: () => unknown;
}

const routes: Route[] = [
  { method: "GET", path: () => "/admin/identities", scope: "identities:read" },
  {
    method: "POST",
    path: () => "/admin/identities",
    scope: "identities:write",
    body: () => ({ schema_id: "default", traits: { email: "new@example.com" } }),
  },
  { method: "GET", path: () => "/admin/identities/by/external/x-1", scope: "identities:read" },
  { method: "GET", path: () => `/admin/identities/${identityId}`, scope: "identities:read" },
  {
    method: "PUT",
    path: () => `/admin/identities/${identityId}`,
    scope: "identities:write",
    body: () => ({ schema_id: "default", traits: { email: "put@example.com" }, state: "active" }),
  },
  {
    method: "PATCH",
    path: () => `/admin/identities/${identityId}`,
    scope: "identities:write",
    body: () => [{ op: "replace", path: "/state", value: "inactive" }],
  },
  { method: "DELETE", path: () => `/admin/identities/${identityId}`, scope: "identities:write" },
  {
    method: "POST",
    path: () => `/admin/identities/${identityId}/erase`,
    scope: "identities:write",
    body: () => ({ reason: "other" }),
  },
  { method: "GET", path: () => `/admin/identities/${identityId}/events`, scope: "audit:read" },
  {
    method: "GET",
    path: () => `/admin/identities/${identityId}/state?at=2030-01-01T00:00:00Z`,
    scope: "audit:read",
  },
  { method: "GET", path: () => `/admin/identities/${identityId}/verify`, scope: "audit:read" },
  { method: "GET", path: () => `/admin/identities/${identityId}/sessions`, scope: "sessions:read" },
  {
    method: "DELETE",
    path: () => `/admin/identities/${identityId}/sessions`,
    scope: "sessions:write",
  },
  { method: "GET", path: () => `/admin/sessions/${randomUUID()}`, scope: "sessions:read" },
  { method: "DELETE", path: () => `/admin/sessions/${randomUUID()}`, scope: "sessions:write" },
  {
    method: "POST",
    path: () => "/admin/commands/DeactivateIdentity",
    scope: "commands:write",
    body: () => ({ identity_id: identityId }),
  },
  { method: "GET", path: () => "/admin/audit/events", scope: "audit:read" },
  { method: "GET", path: () => "/admin/audit/security-events", scope: "audit:read" },
  { method: "GET", path: () => "/admin/projections", scope: "projections:read" },
  {
    method: "POST",
    path: () => "/admin/projections/identities/rebuild",
    scope: "projections:write",
  },
];

beforeAll(async () => {
  app = await startAdminTestApp("admin_auth");
  identityId = (await createIdentity(app, { traits: { email: "kept@example.com" } })).id;
});

afterAll(async () => {
  await app?.close();
});

describe("admin API keys", () => {
  it("rejects every route without a key", async () => {
    const before = await countEvents(app);
    for (const route of routes) {
      const response = await admin(app, route.method, route.path(), {
        key: null,
        body: route.body?.(),
      });
      expectError(response, 401, "unauthorized");
      expect(response.headers.get("www-authenticate")).toContain("Bearer");
    }
    expect(await countEvents(app)).toBe(before);
  });

  it("rejects every route with a wrong key", async () => {
    const before = await countEvents(app);
    const wrongKey = randomBytes(32).toString("base64url");
    for (const route of routes) {
      const response = await admin(app, route.method, route.path(), {
        key: wrongKey,
        body: route.body?.(),
      });
      expectError(response, 401, "unauthorized");
    }
    expect(await countEvents(app)).toBe(before);
  });

  it("rejects the path without the /admin prefix too", async () => {
    const response = await admin(app, "GET", "/identities", { key: null });
    expectError(response, 401, "unauthorized");
  });

  it("rejects routes outside the key's scopes", async () => {
    const before = await countEvents(app);
    for (const route of routes.filter((candidate) => candidate.scope !== "identities:read")) {
      const response = await admin(app, route.method, route.path(), {
        key: readOnlyKey,
        body: route.body?.(),
      });
      expectError(response, 403, "forbidden");
      expect(response.body.error.message).toContain(route.scope);
    }
    expect(await countEvents(app)).toBe(before);
  });

  it("checks the scope before the body", async () => {
    const before = await countEvents(app);
    for (const route of routes.filter(
      (candidate) => candidate.scope !== "identities:read" && candidate.method !== "GET",
    )) {
      const response = await admin(app, route.method, route.path(), {
        key: readOnlyKey,
        body: '{"malformed": ',
        headers: { "Content-Type": "application/json" },
      });
      expectError(response, 403, "forbidden");
    }
    expect(await countEvents(app)).toBe(before);
  });

  it("allows routes inside the key's scopes", async () => {
    for (const route of routes.filter((candidate) => candidate.scope === "identities:read")) {
      const response = await admin(app, route.method, route.path(), { key: readOnlyKey });
      expect([200, 404], `${route.method} ${route.path()}`).toContain(response.status);
    }
    const read = await admin(app, "GET", `/admin/identities/${identityId}`, { key: readOnlyKey });
    expect(read.status).toBe(200);
    expect(read.body.id).toBe(identityId);
  });
});
