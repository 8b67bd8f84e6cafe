import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import {
  countEvents,
  expectErrorEnvelope,
  forgedToken,
  publicCall,
  type Registered,
  register,
  type SendOptions,
  settledEventCount,
  waitForMail,
} from "./support.ts";

let app: TestApp;
let owner: Registered;
let other: Registered;
let eventsBefore: number;

beforeAll(async () => {
  app = await startTestApp("e2e_sessions_bad_input");
  owner = await register(app, "owner@example.com");
  other = await register(app, "other@example.com");
  await waitForMail(app, "owner@example.com");
  await waitForMail(app, "other@example.com");
  eventsBefore = await settledEventCount(app);
});

afterAll(async () => {
  await app?.close();
});

const sql = "' OR 1=1 --";
const sessionInactive = { status: 401, errorId: "session_inactive" };
const badRequest = { status: 400, errorId: "bad_request" };
const forbidden = { status: 403, errorId: "forbidden" };
const notFound = { status: 404, errorId: "not_found" };

interface Route {
  method: string;
  path: () => string;
}

// Every route that needs the caller's session. DELETE /sessions/{id} names the other identity's
// session, so a forged token that passed would reach the ownership check.
const sessionRoutes: Route[] = [
  { method: "GET", path: () => "/sessions/whoami" },
  { method: "POST", path: () => "/sessions/whoami" },
  { method: "DELETE", path: () => "/sessions/whoami" },
  { method: "GET", path: () => "/sessions" },
  { method: "DELETE", path: () => "/sessions" },
  { method: "DELETE", path: () => `/sessions/${other.sessionId}` },
];

// Credentials that must never pass for a session.
const forgedCredentials: { name: string; headers: () => Record<string, string> }[] = [
  { name: "no token", headers: () => ({}) },
  { name: "empty token", headers: () => ({ "X-Session-Token": "" }) },
  { name: "10 KB token", headers: () => ({ "X-Session-Token": `rgst_${"A".repeat(10_000)}` }) },
  { name: "wrong prefix", headers: () => ({ "X-Session-Token": `ory_st_${"A".repeat(43)}` }) },
  { name: "valid-looking token", headers: () => ({ "X-Session-Token": forgedToken() }) },
  { name: "SQL as token", headers: () => ({ "X-Session-Token": sql }) },
  { name: "token with a suffix", headers: () => ({ "X-Session-Token": `${owner.token}x` }) },
  {
    name: "upper-cased token",
    headers: () => ({ "X-Session-Token": owner.token.toUpperCase() }),
  },
  { name: "forged bearer", headers: () => ({ Authorization: `Bearer ${forgedToken()}` }) },
  { name: "admin API key", headers: () => ({ Authorization: `Bearer ${app.adminKey}` }) },
  { name: "forged cookie", headers: () => ({ Cookie: `ory_kratos_session=${forgedToken()}` }) },
];

// Bodies that the body parser rejects before any route runs, even with a valid session.
const hostileBodies: { name: string; options: SendOptions; status: number; errorId: string }[] = [
  { name: "malformed JSON", options: { raw: '{"session_token": ' }, ...badRequest },
  {
    name: "body over the size limit",
    options: { raw: JSON.stringify({ padding: "x".repeat(200 * 1024) }) },
    status: 413,
    errorId: "request_body_too_large",
  },
  {
    name: "XML content type",
    options: { raw: "<a/>", contentType: "application/xml" },
    status: 415,
    errorId: "unsupported_media_type",
  },
  { name: "NUL in a value", options: { raw: '{"a": "\\u0000"}' }, ...badRequest },
  { name: "NUL in a key", options: { raw: '{"\\u0000": 1}' }, ...badRequest },
  { name: "__proto__ key", options: { raw: '{"__proto__": {"x": 1}}' }, ...badRequest },
  {
    name: "constructor key",
    options: { raw: '{"constructor": {"prototype": {"x": 1}}}' },
    ...badRequest,
  },
  { name: "deep nesting", options: { raw: `${"[".repeat(64)}${"]".repeat(64)}` }, ...badRequest },
];

describe("session routes with bad input", () => {
  for (const credential of forgedCredentials) {
    it(`rejects ${credential.name}`, async () => {
      for (const route of sessionRoutes) {
        const label = `${route.method} ${route.path()} with ${credential.name}`;
        const reply = await publicCall(app, route.method, route.path(), {
          headers: credential.headers(),
        });
        expectErrorEnvelope(reply, sessionInactive.status, sessionInactive.errorId, label);
      }
      expect(await countEvents(app), `${credential.name} appends no event`).toBe(eventsBefore);
    });
  }

  for (const body of hostileBodies) {
    it(`rejects ${body.name} with a session`, async () => {
      for (const route of sessionRoutes) {
        const label = `${route.method} ${route.path()} with ${body.name}`;
        const reply = await publicCall(app, route.method, route.path(), {
          ...body.options,
          token: owner.token,
        });
        expectErrorEnvelope(reply, body.status, body.errorId, label);
      }
      expect(await countEvents(app), `${body.name} appends no event`).toBe(eventsBefore);
    });
  }

  it("rejects bad session ids", async () => {
    const ids: { name: string; id: () => string; status: number; errorId: string }[] = [
      { name: "SQL", id: () => encodeURIComponent(sql), ...notFound },
      { name: "not a UUID", id: () => "session", ...notFound },
      { name: "unknown UUID", id: () => randomUUID(), ...notFound },
      { name: "NUL after the id", id: () => `${other.sessionId}%00`, ...notFound },
      { name: "overlong", id: () => "a".repeat(8_000), ...notFound },
      { name: "another identity's session", id: () => other.sessionId, ...notFound },
      { name: "the caller's own session", id: () => owner.sessionId, ...badRequest },
    ];
    for (const item of ids) {
      const reply = await publicCall(app, "DELETE", `/sessions/${item.id()}`, {
        token: owner.token,
      });
      expectErrorEnvelope(reply, item.status, item.errorId, `DELETE /sessions/{${item.name}}`);
    }
    expect(await countEvents(app), "bad session ids append no event").toBe(eventsBefore);
  });

  it("rejects bad logout bodies", async () => {
    const bodies: { name: string; options: SendOptions; status: number; errorId: string }[] = [
      ...hostileBodies.map((body) => ({ ...body })),
      { name: "no body", options: {}, ...badRequest },
      { name: "token only in the header", options: { token: owner.token }, ...badRequest },
      { name: "token as a number", options: { json: { session_token: 42 } }, ...badRequest },
      { name: "empty token", options: { json: { session_token: "" } }, ...badRequest },
      {
        name: "token as an array",
        options: { json: { session_token: [owner.token] } },
        ...badRequest,
      },
      {
        name: "token as an object",
        options: { json: { session_token: { $ne: "" } } },
        ...badRequest,
      },
      {
        name: "10 KB token",
        options: { json: { session_token: `rgst_${"A".repeat(10_000)}` } },
        ...forbidden,
      },
      {
        name: "wrong prefix",
        options: { json: { session_token: `ory_st_${"A".repeat(43)}` } },
        ...forbidden,
      },
      {
        name: "valid-looking token",
        options: { json: { session_token: forgedToken() } },
        ...forbidden,
      },
      { name: "SQL as token", options: { json: { session_token: sql } }, ...forbidden },
      {
        name: "form with a forged token",
        options: {
          raw: `session_token=${forgedToken()}`,
          contentType: "application/x-www-form-urlencoded",
        },
        ...forbidden,
      },
    ];
    for (const body of bodies) {
      const reply = await publicCall(app, "DELETE", "/self-service/logout/api", body.options);
      expectErrorEnvelope(reply, body.status, body.errorId, `logout with ${body.name}`);
    }
    expect(await countEvents(app), "bad logouts append no event").toBe(eventsBefore);
  });

  it("answers 404 for the token exchange", async () => {
    const reply = await publicCall(
      app,
      "GET",
      "/sessions/token-exchange?init_code=a&return_to_code=b",
    );
    expectErrorEnvelope(reply, 404, "not_found", "token exchange");
  });

  it("rejects bad list query parameters", async () => {
    const queries = [
      `page_size=${encodeURIComponent(sql)}`,
      "page_size=0",
      "page_size=1001",
      "page_size=1&page_size=2",
      `page_token=${encodeURIComponent(sql)}`,
      // The sealed format, a payload and a MAC, with a MAC that does not match.
      `page_token=${Buffer.from(JSON.stringify({ issuedAt: new Date().toISOString(), id: randomUUID() })).toString("base64url")}.${"A".repeat(43)}`,
      "page=2&per_page=1",
    ];
    for (const query of queries) {
      const reply = await publicCall(app, "GET", `/sessions?${query}`, { token: owner.token });
      expectErrorEnvelope(reply, 400, "bad_request", `GET /sessions?${query}`);
    }
    const reply = await publicCall(app, "GET", "/sessions?page_size=1", { token: owner.token });
    expect(reply.status, reply.text.slice(0, 200)).toBe(200);
    expect(reply.body, "only the caller's other sessions, of which there are none").toEqual([]);
  });

  it("keeps both sessions after the bad input", async () => {
    for (const holder of [owner, other]) {
      const reply = await publicCall(app, "GET", "/sessions/whoami", { token: holder.token });
      expect(reply.status, reply.text.slice(0, 200)).toBe(200);
      expect(reply.body.id, "whoami returns the holder's session").toBe(holder.sessionId);
    }
    expect(await countEvents(app), "no event at all").toBe(eventsBefore);
  });
});
