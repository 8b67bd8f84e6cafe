import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import {
  countEvents,
  expectErrorEnvelope,
  expectFlowMessage,
  forgedToken,
  goodPassword,
  publicCall,
  register,
  type SendOptions,
  settledEventCount,
  waitForMail,
} from "./support.ts";

let app: TestApp;
let flowId: string;
let loginFlowId: string;
let signedInToken: string;
let eventsBefore: number;

beforeAll(async () => {
  app = await startTestApp("e2e_registration_bad_input");
  signedInToken = (await register(app, "existing@example.com")).token;
  flowId = (await publicCall(app, "GET", "/self-service/registration/api")).body.id;
  loginFlowId = (await publicCall(app, "GET", "/self-service/login/api")).body.id;
  await waitForMail(app, "existing@example.com");
  eventsBefore = await settledEventCount(app);
});

afterAll(async () => {
  await app?.close();
});

type Expected = { status: number; errorId: string } | { messageId: number };

interface BadInputCase {
  name: string;
  method: "GET" | "POST";
  path: () => string;
  options?: () => SendOptions;
  expected: Expected;
}

const sql = "' OR 1=1 --";
// Node rejects request heads over 16 KiB with 431, so overlong query values stay below that.
const longQuery = "f".repeat(8_000);
const form = "application/x-www-form-urlencoded";
const submit = () => `/self-service/registration?flow=${flowId}`;

/** Builds a registration body with the given fields replaced. */
function registration(changes: Record<string, unknown>): () => SendOptions {
  return () => ({
    json: {
      method: "password",
      password: goodPassword,
      traits: { email: "new@example.com" },
      ...changes,
    },
  });
}

function withEmail(email: string): () => SendOptions {
  return registration({ traits: { email } });
}

const badRequest = { status: 400, errorId: "bad_request" };
const notFound = { status: 404, errorId: "not_found" };
const tooLarge = { status: 413, errorId: "request_body_too_large" };
const unsupported = { status: 415, errorId: "unsupported_media_type" };

// Raw bodies that the body parser rejects before any route runs.
const hostileBodies: { name: string; options: SendOptions; expected: Expected }[] = [
  { name: "malformed JSON", options: { raw: '{"method": "password",' }, expected: badRequest },
  {
    name: "body over the size limit",
    options: { raw: JSON.stringify({ padding: "x".repeat(200 * 1024) }) },
    expected: tooLarge,
  },
  {
    name: "XML content type",
    options: { raw: "<a/>", contentType: "application/xml" },
    expected: unsupported,
  },
  {
    name: "NUL byte in a value",
    options: { raw: '{"method": "pass\\u0000word"}' },
    expected: badRequest,
  },
  {
    name: "__proto__ key",
    options: { raw: '{"__proto__": {"polluted": true}}' },
    expected: badRequest,
  },
];

const cases: BadInputCase[] = [
  // GET /self-service/registration/api
  ...hostileBodies.map((body) => ({
    name: `init with ${body.name}`,
    method: "GET" as const,
    path: () => "/self-service/registration/api",
    options: () => body.options,
    expected: body.expected,
  })),
  {
    name: "init with an active session",
    method: "GET",
    path: () => "/self-service/registration/api",
    options: () => ({ token: signedInToken }),
    expected: { status: 400, errorId: "session_already_available" },
  },

  // GET /self-service/registration/flows
  ...hostileBodies.map((body) => ({
    name: `get flow with ${body.name}`,
    method: "GET" as const,
    path: () => `/self-service/registration/flows?id=${flowId}`,
    options: () => body.options,
    expected: body.expected,
  })),
  ...(
    [
      ["without id", "", badRequest],
      ["SQL in id", `?id=${encodeURIComponent(sql)}`, notFound],
      ["id not a UUID", "?id=registration", notFound],
      ["unknown id", `?id=${randomUUID()}`, notFound],
      ["NUL after the id", "?id=FLOW%00", badRequest],
      ["overlong id", `?id=${longQuery}`, notFound],
      ["repeated id", "?id=FLOW&id=FLOW", notFound],
      ["login flow id", "?id=LOGIN", notFound],
    ] as const
  ).map(([name, query, expected]) => ({
    name: `get flow ${name}`,
    method: "GET" as const,
    path: () =>
      `/self-service/registration/flows${query.replaceAll("FLOW", flowId).replace("LOGIN", loginFlowId)}`,
    expected,
  })),

  // POST /self-service/registration: the flow query parameter
  ...(
    [
      ["without flow", "", badRequest],
      ["SQL in flow", `?flow=${encodeURIComponent(sql)}`, notFound],
      ["flow not a UUID", "?flow=1", notFound],
      ["unknown flow", `?flow=${randomUUID()}`, notFound],
      ["repeated flow", "?flow=FLOW&flow=FLOW", notFound],
      ["flow with NUL", "?flow=FLOW%00", badRequest],
      ["login flow", "?flow=LOGIN", notFound],
    ] as const
  ).map(([name, query, expected]) => ({
    name: `submit ${name}`,
    method: "POST" as const,
    path: () =>
      `/self-service/registration${query.replaceAll("FLOW", flowId).replace("LOGIN", loginFlowId)}`,
    options: registration({}),
    expected,
  })),

  // POST /self-service/registration: bodies the parser rejects
  ...hostileBodies.map((body) => ({
    name: `submit ${body.name}`,
    method: "POST" as const,
    path: submit,
    options: () => body.options,
    expected: body.expected,
  })),
  {
    name: "submit text/plain",
    method: "POST",
    path: submit,
    options: () => ({ raw: "{}", contentType: "text/plain" }),
    expected: unsupported,
  },
  {
    name: "submit Latin-1 charset",
    method: "POST",
    path: submit,
    options: () => ({ raw: "{}", contentType: "application/json; charset=iso-8859-1" }),
    expected: unsupported,
  },
  {
    name: "submit gzip encoding",
    method: "POST",
    path: submit,
    options: () => ({ raw: "{}", headers: { "Content-Encoding": "gzip" } }),
    expected: unsupported,
  },
  {
    name: "submit JSON array",
    method: "POST",
    path: submit,
    options: () => ({ raw: "[]" }),
    expected: badRequest,
  },
  {
    name: "submit invalid UTF-8",
    method: "POST",
    path: submit,
    options: () => ({ raw: Buffer.from([0x7b, 0xff, 0x7d]) }),
    expected: badRequest,
  },
  {
    name: "submit NUL in a key",
    method: "POST",
    path: submit,
    options: registration({ traits: { "em\u0000ail": "a@example.com" } }),
    expected: badRequest,
  },
  {
    name: "submit NUL in the email",
    method: "POST",
    path: submit,
    options: withEmail("a\u0000@example.com"),
    expected: badRequest,
  },
  {
    name: "submit NUL in the password",
    method: "POST",
    path: submit,
    options: registration({ password: `${goodPassword}\u0000` }),
    expected: badRequest,
  },
  {
    name: "submit __proto__ in traits",
    method: "POST",
    path: submit,
    options: () => ({
      raw: `{"method":"password","password":"${goodPassword}","traits":{"email":"p@example.com","__proto__":{"admin":true}}}`,
    }),
    expected: badRequest,
  },
  {
    name: "submit constructor.prototype in traits",
    method: "POST",
    path: submit,
    options: () => ({
      raw: `{"method":"password","password":"${goodPassword}","traits":{"email":"p@example.com","constructor":{"prototype":{"admin":true}}}}`,
    }),
    expected: badRequest,
  },
  {
    name: "submit dotted __proto__ key",
    method: "POST",
    path: submit,
    options: () => ({ raw: `{"method":"password","traits.__proto__.admin":true}` }),
    expected: badRequest,
  },
  {
    name: "submit form with NUL",
    method: "POST",
    path: submit,
    options: () => ({ raw: "method=password&traits.email=a%00@example.com", contentType: form }),
    expected: badRequest,
  },
  {
    name: "submit form with __proto__",
    method: "POST",
    path: submit,
    options: () => ({ raw: "method=password&traits.__proto__.admin=1", contentType: form }),
    expected: badRequest,
  },
  {
    name: "submit 100 KB email",
    method: "POST",
    path: submit,
    options: withEmail(`${"a".repeat(100 * 1024)}@example.com`),
    expected: tooLarge,
  },

  // POST /self-service/registration: bodies that reach the flow and come back as UI messages
  {
    name: "submit traits as a string",
    method: "POST",
    path: submit,
    options: registration({ traits: "new@example.com" }),
    expected: { messageId: 4000026 },
  },
  {
    name: "submit traits as an array",
    method: "POST",
    path: submit,
    options: registration({ traits: ["new@example.com"] }),
    expected: { messageId: 4000026 },
  },
  {
    name: "submit email as a number",
    method: "POST",
    path: submit,
    options: withEmail(42 as unknown as string),
    expected: { messageId: 4000026 },
  },
  // NOTE: Registrar reports a password of the wrong type as missing (4000002).
  {
    name: "submit password as a number",
    method: "POST",
    path: submit,
    options: registration({ password: 12345678901234 }),
    expected: { messageId: 4000002 },
  },
  {
    name: "submit unknown method",
    method: "POST",
    path: submit,
    options: registration({ method: "oidc" }),
    expected: { messageId: 4010003 },
  },
  {
    name: "submit method as a number",
    method: "POST",
    path: submit,
    options: registration({ method: 1 }),
    expected: { messageId: 4010003 },
  },
  {
    name: "submit without method",
    method: "POST",
    path: submit,
    options: registration({ method: undefined }),
    expected: { messageId: 4010003 },
  },
  // The schema's name is an object whose fields are the form's nodes, so the message about the
  // whole object goes to the form's own messages.
  {
    name: "submit name as a string",
    method: "POST",
    path: submit,
    options: registration({ traits: { email: "named@example.com", name: "x" } }),
    expected: { messageId: 4000026 },
  },
  {
    name: "submit SQL in the email",
    method: "POST",
    path: submit,
    options: withEmail(`${sql}@example.com`),
    expected: { messageId: 4000040 },
  },
  {
    name: "submit SQL in an unknown trait",
    method: "POST",
    path: submit,
    options: registration({ traits: { email: "new@example.com", [sql]: sql } }),
    expected: { messageId: 4000001 },
  },
  {
    name: "submit 60 KB email",
    method: "POST",
    path: submit,
    options: withEmail(`${"a".repeat(60 * 1024)}@example.com`),
    expected: { messageId: 4000017 },
  },
  {
    name: "submit 10 KB password",
    method: "POST",
    path: submit,
    options: registration({ password: "Tr0ub4dor&3 ".repeat(853) }),
    expected: { messageId: 4000033 },
  },
  {
    name: "submit CRLF in the email",
    method: "POST",
    path: submit,
    options: withEmail("new@example.com\r\nBcc: evil@evil.test"),
    expected: { messageId: 4000040 },
  },
  {
    name: "submit fullwidth email",
    method: "POST",
    path: submit,
    options: withEmail("ｅｘｉｓｔｉｎｇ@example.com"),
    expected: { messageId: 4000040 },
  },
  {
    name: "submit Cyrillic confusable email",
    method: "POST",
    path: submit,
    options: withEmail("\u0435xisting@example.com"),
    expected: { messageId: 4000040 },
  },
  {
    name: "submit zero-width email",
    method: "POST",
    path: submit,
    options: withEmail("exi\u200Bsting@example.com"),
    expected: { messageId: 4000040 },
  },
  {
    name: "submit right-to-left override email",
    method: "POST",
    path: submit,
    options: withEmail("existing\u202E@example.com"),
    expected: { messageId: 4000040 },
  },
  {
    name: "submit Greek omicron domain",
    method: "POST",
    path: submit,
    options: withEmail("existing@ex\u03BFmple.com"),
    expected: { messageId: 4000040 },
  },
  {
    name: "submit taken email",
    method: "POST",
    path: submit,
    options: withEmail("Existing@Example.COM"),
    expected: { messageId: 4000007 },
  },
];

describe("registration routes with bad input", () => {
  for (const item of cases) {
    it(`rejects ${item.name}`, async () => {
      const reply = await publicCall(app, item.method, item.path(), item.options?.());
      const label = `${item.method} ${item.name}`;
      if ("messageId" in item.expected) {
        expectFlowMessage(reply, item.expected.messageId, label);
      } else {
        expectErrorEnvelope(reply, item.expected.status, item.expected.errorId, label);
      }
      expect(reply.text, `${label} echoes no password`).not.toContain(goodPassword);
      expect(await countEvents(app), `${label} appends no event`).toBe(eventsBefore);
    });
  }

  it("ignores forged tokens on flow init", async () => {
    const tokens = ["", "x".repeat(10_000), `ory_st_${"A".repeat(43)}`, forgedToken(), sql];
    for (const token of tokens) {
      const label = `token ${token.slice(0, 20)} of ${token.length} characters`;
      const reply = await publicCall(app, "GET", "/self-service/registration/api", { token });
      expect(reply.status, `${label}: ${reply.text.slice(0, 200)}`).toBe(200);
      expect(reply.body?.type, label).toBe("api");
    }
    expect(await countEvents(app), "flow init appends no event").toBe(eventsBefore);
  });

  it("ignores SQL in extra query parameters", async () => {
    const reply = await publicCall(
      app,
      "GET",
      `/self-service/registration/api?refresh=${encodeURIComponent(sql)}&aal=${encodeURIComponent(sql)}`,
    );
    expect(reply.status, reply.text.slice(0, 200)).toBe(200);
    expect(await countEvents(app), "flow init appends no event").toBe(eventsBefore);
  });

  // NOTE: Kratos rejects a return_to outside its allow-list with 400
  // self_service_flow_return_to_forbidden when it creates a registration flow. Registrar ignores
  // return_to there without checking it, unlike GET /self-service/login/api, which checks it.
  it("rejects foreign return_to on init", async () => {
    const reply = await publicCall(
      app,
      "GET",
      "/self-service/registration/api?return_to=https%3A%2F%2Fevil.example%2F",
    );
    expectErrorEnvelope(reply, 400, "self_service_flow_return_to_forbidden", "foreign return_to");
  });

  it("replaces an expired flow with 4040001", async () => {
    const created = await publicCall(app, "GET", "/self-service/registration/api");
    await app.database.pool.query(
      "UPDATE flows SET expires_at = now() - interval '2 minutes' WHERE id = $1",
      [created.body.id],
    );
    const reply = await publicCall(
      app,
      "POST",
      `/self-service/registration?flow=${created.body.id}`,
      registration({})(),
    );
    expectErrorEnvelope(reply, 410, "self_service_flow_expired", "expired flow");
    const replacement = await publicCall(
      app,
      "GET",
      `/self-service/registration/flows?id=${reply.body.use_flow_id}`,
    );
    expect(replacement.status).toBe(200);
    expect(replacement.body.ui.messages.map((message: { id: number }) => message.id)).toEqual([
      4040001,
    ]);
    expect(replacement.body.ui.messages[0].context.expired_at_unix).toBeTypeOf("number");
  });

  it("stores SQL metacharacters verbatim", async () => {
    const email = "o'brien+1=1--@example.com";
    const name = { first: "'; DROP TABLE events; --", last: `" OR ""="` };
    const registered = await register(app, email, goodPassword, { name });
    const whoami = await publicCall(app, "GET", "/sessions/whoami", { token: registered.token });
    expect(whoami.status, whoami.text.slice(0, 200)).toBe(200);
    expect(whoami.body.identity.traits.email, "email round trip").toBe(email);
    expect(whoami.body.identity.traits.name, "name round trip").toEqual(name);
    expect(await countEvents(app), "the events table still counts").toBeGreaterThan(eventsBefore);
  });
});
