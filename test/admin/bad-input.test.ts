import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { batchBodyLimitBytes } from "../../src/http/admin/identities-batch-body.ts";
import { DEFAULT_BODY_LIMIT_BYTES } from "../../src/http/middleware/body-parser.ts";
import type { TestApp } from "../support/app.ts";
import {
  type ApiResponse,
  admin,
  countEvents,
  createIdentity,
  startAdminTestApp,
} from "./support.ts";

let app: TestApp;
let identityId: string;
let eventsBefore: number;

const commandNames = [
  "CreateIdentity",
  "UpdateTraits",
  "SetMetadata",
  "ChangePassword",
  "DeactivateIdentity",
  "ActivateIdentity",
  "EraseIdentity",
  "DeleteIdentity",
  "RevokeSession",
  "RevokeAllSessions",
  "MarkAddressVerified",
];

interface BodyRoute {
  method: string;
  path: () => string;
  /** The route's body size limit, when it differs from the admin port's default. */
  bodyLimitBytes?: number;
}

const batchRoute: BodyRoute = {
  method: "PATCH",
  path: () => "/admin/identities",
  bodyLimitBytes: batchBodyLimitBytes,
};

const bodyRoutes: BodyRoute[] = [
  { method: "POST", path: () => "/admin/identities" },
  { method: "PUT", path: () => `/admin/identities/${identityId}` },
  { method: "PATCH", path: () => `/admin/identities/${identityId}` },
  batchRoute,
  { method: "POST", path: () => `/admin/identities/${identityId}/erase` },
  { method: "POST", path: () => "/admin/sessions" },
  ...commandNames.map((name) => ({ method: "POST", path: () => `/admin/commands/${name}` })),
];

// Bodies that every route must reject, as raw JSON text.
const hostileBodies: {
  name: string;
  body: string | ((route: BodyRoute) => string);
  status: number;
  id: string;
}[] = [
  { name: "malformed JSON", body: '{"traits": {"email": ', status: 400, id: "bad_request" },
  {
    name: "body over the size limit",
    body: (route) => {
      const limitBytes = route.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
      return JSON.stringify({ traits: { email: "x".repeat(2 * limitBytes) } });
    },
    status: 413,
    id: "request_body_too_large",
  },
  {
    name: "NUL byte",
    body: '{"traits": {"email": "a\\u0000@example.com"}}',
    status: 400,
    id: "bad_request",
  },
  {
    name: "__proto__ key",
    body: '{"__proto__": {"polluted": true}, "traits": {}}',
    status: 400,
    id: "bad_request",
  },
  {
    name: "constructor.prototype key",
    body: '{"constructor": {"prototype": {"polluted": true}}}',
    status: 400,
    id: "bad_request",
  },
  {
    name: "deep nesting",
    body: `${"[".repeat(200)}${"]".repeat(200)}`,
    status: 400,
    id: "bad_request",
  },
  { name: "a bare string", body: '"hello"', status: 400, id: "bad_request" },
  { name: "a number", body: "42", status: 400, id: "bad_request" },
  { name: "null", body: "null", status: 400, id: "bad_request" },
];

beforeAll(async () => {
  app = await startAdminTestApp("admin_bad_input");
  identityId = (await createIdentity(app, { traits: { email: "target@example.com" } })).id;
  eventsBefore = await countEvents(app);
});

afterAll(async () => {
  await app?.close();
});

function expectRejected(response: ApiResponse, label: string, status?: number, id?: string) {
  const context = `${label}: ${response.text.slice(0, 300)}`;
  expect(response.status, context).toBeGreaterThanOrEqual(400);
  expect(response.status, context).toBeLessThan(500);
  expect(typeof response.body?.error?.id, context).toBe("string");
  expect(response.body.error.code, context).toBe(response.status);
  if (status !== undefined) expect(response.status, context).toBe(status);
  if (id !== undefined) expect(response.body.error.id, context).toBe(id);
}

function sendRaw(route: BodyRoute, body: string, contentType = "application/json") {
  return admin(app, route.method, route.path(), {
    body,
    headers: { "Content-Type": contentType },
  });
}

describe("hostile bodies on every admin route", () => {
  for (const hostile of hostileBodies) {
    it(`rejects ${hostile.name}`, async () => {
      for (const route of bodyRoutes) {
        const body = typeof hostile.body === "string" ? hostile.body : hostile.body(route);
        const response = await sendRaw(route, body);
        expectRejected(
          response,
          `${route.method} ${route.path()} with ${hostile.name}`,
          hostile.status,
          hostile.id,
        );
      }
      expect(await countEvents(app)).toBe(eventsBefore);
    });
  }

  it("rejects other content types", async () => {
    for (const route of bodyRoutes) {
      const response = await sendRaw(route, "<xml/>", "application/xml");
      expectRejected(response, `${route.method} ${route.path()}`, 415, "unsupported_media_type");
    }
  });

  it("rejects unknown fields, wrong types and overlong strings", async () => {
    const cases: { route: BodyRoute; body: unknown; label: string }[] = [];
    const create = { schema_id: "default", traits: { email: "ok@example.com" } };
    const put = { ...create, state: "active" };
    const objectRoutes = bodyRoutes.filter((route) => route.method !== "PATCH");
    for (const route of objectRoutes) {
      cases.push({ route, body: { unknown_field: 1 }, label: "unknown field" });
      cases.push({ route, body: [], label: "array body" });
    }
    const [post, replace] = bodyRoutes;
    cases.push(
      { route: post!, body: { ...create, extra: true }, label: "extra create field" },
      { route: post!, body: { ...create, traits: "email" }, label: "traits string" },
      { route: post!, body: { ...create, state: 5 }, label: "state number" },
      { route: post!, body: { ...create, state: "deleted" }, label: "unknown state" },
      { route: post!, body: { ...create, schema_id: "s".repeat(5000) }, label: "long schema" },
      { route: post!, body: { ...create, schema_id: "nope" }, label: "unknown schema" },
      {
        route: post!,
        body: { ...create, traits: { email: `${"a".repeat(400)}@example.com` } },
        label: "long email",
      },
      { route: post!, body: { ...create, traits: { email: "not an email" } }, label: "bad email" },
      {
        route: post!,
        body: { ...create, traits: { email: "x@example.com", role: "admin" } },
        label: "trait outside schema",
      },
      {
        route: post!,
        body: { ...create, external_id: "e".repeat(300) },
        label: "long external id",
      },
      { route: post!, body: { ...create, organization_id: randomUUID() }, label: "organization" },
      {
        route: post!,
        body: { ...create, credentials: { password: { config: { password: "p".repeat(5000) } } } },
        label: "long password",
      },
      {
        route: post!,
        body: { ...create, credentials: { password: { config: { hashed_password: "plain" } } } },
        label: "hash that is no hash",
      },
      { route: replace!, body: { ...put, state: "gone" }, label: "bad state" },
      { route: replace!, body: { traits: {} }, label: "missing state" },
      { route: batchRoute, body: { unknown_field: 1 }, label: "unknown field" },
      { route: batchRoute, body: [], label: "array body" },
      { route: batchRoute, body: { identities: [{}] }, label: "entry without create" },
      {
        route: batchRoute,
        body: { identities: [{ create: { ...create, extra: true } }] },
        label: "extra create field",
      },
      {
        route: batchRoute,
        body: { identities: [{ create, patch_id: "1" }] },
        label: "patch id no UUID",
      },
    );
    for (const item of cases) {
      const response = await admin(app, item.route.method, item.route.path(), { body: item.body });
      expectRejected(response, `${item.route.method} ${item.route.path()} ${item.label}`);
    }
    expect(await countEvents(app)).toBe(eventsBefore);
  });

  it("rejects invalid JSON Patch documents", async () => {
    const patches: unknown[] = [
      [],
      {},
      [{ op: "hack", path: "/state" }],
      [{ op: "replace" }],
      [{ op: "replace", path: "/state" }],
      [{ op: "move", path: "/state" }],
      [{ op: "replace", path: "/traits/missing/deep", value: 1 }],
      [{ op: "test", path: "/state", value: "inactive" }],
      [{ op: "replace", path: "/id", value: randomUUID() }],
      [{ op: "remove", path: "/id" }],
      [{ op: "move", from: "/id", path: "/external_id" }],
      [{ op: "replace", path: "", value: { id: randomUUID() } }],
      [{ op: "add", path: "/__proto__/polluted", value: true }],
      [{ op: "add", path: "/traits/constructor/prototype/x", value: 1 }],
      [{ op: "replace", path: "/traits", value: "string" }],
      [{ op: "replace", path: "/state", value: "deleted" }],
      [{ op: "replace", path: "/state_changed_at", value: "2020-01-01T00:00:00Z" }],
      [{ op: "add", path: "/credentials/oidc", value: {} }],
      [{ op: "replace", path: "/credentials/password/config/hashed_password", value: "nope" }],
      [{ op: "replace", path: "/traits/email", value: "not an email" }],
      [{ op: "replace", path: "/state", value: "inactive", extra: 1 }],
      Array.from({ length: 101 }, () => ({ op: "test", path: "/state", value: "active" })),
    ];
    for (const [index, patch] of patches.entries()) {
      const response = await admin(app, "PATCH", `/admin/identities/${identityId}`, {
        body: patch,
      });
      expectRejected(response, `patch ${index} ${JSON.stringify(patch).slice(0, 80)}`, 400);
    }
    const read = await admin(app, "GET", `/admin/identities/${identityId}`);
    expect(read.body.state).toBe("active");
    expect(read.body.traits).toEqual({ email: "target@example.com" });
    expect(await countEvents(app)).toBe(eventsBefore);
  });

  it("rejects hostile ids in paths and commands", async () => {
    const hostileIds = [
      "%27%20OR%201%3D1--",
      "1%3BDROP%20TABLE%20events",
      "..%2F..%2Fetc%2Fpasswd",
      "%00",
      "x".repeat(2000),
      `${identityId}%00`,
      "00000000-0000-0000-0000-00000000000g",
    ];
    for (const id of hostileIds) {
      for (const [method, path] of [
        ["GET", `/admin/identities/${id}`],
        ["DELETE", `/admin/identities/${id}`],
        ["GET", `/admin/identities/${id}/events`],
        ["GET", `/admin/identities/${id}/verify`],
        ["GET", `/admin/identities/${id}/sessions`],
        ["DELETE", `/admin/identities/${id}/sessions`],
        ["DELETE", `/admin/identities/${id}/credentials/password`],
        ["GET", `/admin/sessions/${id}`],
        ["DELETE", `/admin/sessions/${id}`],
        ["GET", `/admin/identities/by/external/${id}`],
      ] as const) {
        const response = await admin(app, method, path);
        expectRejected(response, `${method} ${path}`, 404, "not_found");
      }
    }
    for (const name of commandNames) {
      const response = await admin(app, "POST", `/admin/commands/${name}`, {
        body: { identity_id: "' OR 1=1 --", traits: {}, reason: "other" },
      });
      expectRejected(response, name, 400, "bad_request");
    }
    expect(await countEvents(app)).toBe(eventsBefore);
  });

  it("rejects hostile query filters", async () => {
    const queries = [
      "/admin/identities?ids=%27%20OR%201%3D1--",
      "/admin/identities?page_size=1%3BDROP",
      "/admin/identities?page_token=%27%3B--",
      "/admin/identities?credentials_identifier=a%00b",
      `/admin/identities?credentials_identifier=${"a".repeat(400)}`,
      "/admin/identities?include_credential=secret",
      "/admin/identities?page=2",
      "/admin/identities?page_size=1&page_size=2",
      `/admin/identities/${identityId}/state?at=%27%20OR%201%3D1`,
      `/admin/identities/${identityId}/events?from_version=-1`,
      `/admin/identities/${identityId}/events?page_size=0`,
      "/admin/audit/events?identity_id=%27%20OR%201%3D1--",
      "/admin/audit/events?event_type=%27%3BDROP",
      "/admin/audit/security-events?identity_id=x",
      "/admin/audit/security-events?from=%27",
    ];
    for (const path of queries) {
      const response = await admin(app, "GET", path);
      expectRejected(response, path, 400, "bad_request");
    }
    const noMatch = await admin(
      app,
      "GET",
      "/admin/identities?credentials_identifier=%27%20OR%20%271%27%3D%271",
    );
    expect(noMatch.status).toBe(200);
    expect(noMatch.body).toEqual([]);
  });

  it("logged no server fault", () => {
    const faults = app.logs.filter((line) => line.includes('"level":"error"'));
    expect(faults).toEqual([]);
  });
});
