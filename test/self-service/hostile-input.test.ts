import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  countEvents,
  type FlowJson,
  type JsonResponse,
  messageIds,
  registerIdentity,
  send,
  startTestApp,
  type TestApp,
} from "./support.ts";

let app: TestApp;
let token: string;
let loginFlowId: string;
let settingsFlowId: string;

beforeAll(async () => {
  app = await startTestApp("self_service_hostile", {
    env: { LOGIN_ATTEMPTS_PER_IDENTIFIER: "1000" },
  });
  ({ token } = await registerIdentity(app, "hostile@example.com", "a sturdy passphrase 99"));
  loginFlowId = (await send(app, "GET", "/self-service/login/api")).body.id;
  settingsFlowId = (
    await send(app, "GET", "/self-service/settings/api", { headers: { "X-Session-Token": token } })
  ).body.id;
});

afterAll(async () => {
  await app?.stop();
});

interface HostileCase {
  name: string;
  method: "GET" | "POST";
  path: () => string;
  json?: unknown;
  raw?: string;
  contentType?: string;
  session?: boolean;
  status: number;
  /** The error id of the envelope, or the UI message ids of a flow rejected with 400. */
  expect: { errorId: string } | { messageIds: number[] };
}

const long = "x".repeat(50_000);
// Node itself responds with 431 to request lines over 16 KiB, so query strings stay below.
const longQuery = "x".repeat(8_000);
const login = () => `/self-service/login?flow=${loginFlowId}`;
const settings = () => `/self-service/settings?flow=${settingsFlowId}`;

const cases: HostileCase[] = [
  // GET /self-service/login/api
  ...[
    ["refresh=banana", "bad_request"],
    ["refresh=true&refresh=false", "bad_request"],
    ["aal=aal9", "bad_request"],
    ["return_to=javascript:alert(1)", "self_service_flow_return_to_forbidden"],
    [
      `return_to=${encodeURIComponent(`https://x.example/${longQuery}`)}`,
      "self_service_flow_return_to_forbidden",
    ],
  ].map(([query, errorId]) => ({
    name: `login init with ${query!.slice(0, 40)}`,
    method: "GET" as const,
    path: () => `/self-service/login/api?${query}`,
    status: 400,
    expect: { errorId: errorId! },
  })),

  // GET /self-service/login/flows
  {
    name: "login flow without id",
    method: "GET",
    path: () => "/self-service/login/flows",
    status: 400,
    expect: { errorId: "bad_request" },
  },
  {
    name: "login flow id not a UUID",
    method: "GET",
    path: () => "/self-service/login/flows?id=1%27%20OR%201=1",
    status: 404,
    expect: { errorId: "not_found" },
  },
  {
    name: "login flow id with NUL",
    method: "GET",
    path: () => `/self-service/login/flows?id=${loginFlowId}%00`,
    status: 400,
    expect: { errorId: "bad_request" },
  },
  {
    name: "login flow id overlong",
    method: "GET",
    path: () => `/self-service/login/flows?id=${longQuery}`,
    status: 404,
    expect: { errorId: "not_found" },
  },

  // POST /self-service/login
  {
    name: "login malformed JSON",
    method: "POST",
    path: login,
    raw: '{"method":"password",',
    status: 400,
    expect: { errorId: "bad_request" },
  },
  {
    name: "login JSON array",
    method: "POST",
    path: login,
    raw: "[1,2,3]",
    status: 400,
    expect: { errorId: "bad_request" },
  },
  {
    name: "login __proto__ key",
    method: "POST",
    path: login,
    raw: '{"method":"password","__proto__":{"admin":true}}',
    status: 400,
    expect: { errorId: "bad_request" },
  },
  {
    name: "login NUL byte",
    method: "POST",
    path: login,
    json: { method: "password", identifier: "a\u0000@example.com", password: "x" },
    status: 400,
    expect: { errorId: "bad_request" },
  },
  {
    name: "login wrong content type",
    method: "POST",
    path: login,
    raw: "method=password",
    contentType: "text/plain",
    status: 415,
    expect: { errorId: "unsupported_media_type" },
  },
  {
    name: "login flow not a UUID",
    method: "POST",
    path: () => "/self-service/login?flow=not-a-uuid",
    json: { method: "password" },
    status: 404,
    expect: { errorId: "not_found" },
  },
  {
    name: "login without flow",
    method: "POST",
    path: () => "/self-service/login",
    json: { method: "password" },
    status: 400,
    expect: { errorId: "bad_request" },
  },
  {
    name: "login missing fields",
    method: "POST",
    path: login,
    json: { method: "password" },
    status: 400,
    expect: { messageIds: [4000002, 4000002] },
  },
  {
    name: "login wrong types",
    method: "POST",
    path: login,
    json: { method: "password", identifier: { $ne: "" }, password: true },
    status: 400,
    expect: { messageIds: [4000026, 4000026] },
  },
  {
    name: "login unknown method",
    method: "POST",
    path: login,
    json: { method: "sql", identifier: "a", password: "b" },
    status: 400,
    expect: { messageIds: [4010002] },
  },
  {
    name: "login method of wrong type",
    method: "POST",
    path: login,
    json: { method: ["password"] },
    status: 400,
    expect: { messageIds: [4010002] },
  },
  {
    name: "login overlong identifier",
    method: "POST",
    path: login,
    json: { method: "password", identifier: long, password: "x" },
    status: 400,
    expect: { messageIds: [4000017] },
  },
  {
    name: "login overlong password",
    method: "POST",
    path: login,
    json: { method: "password", identifier: "hostile@example.com", password: long },
    status: 400,
    expect: { messageIds: [4000006] },
  },
  {
    name: "login body over the limit",
    method: "POST",
    path: login,
    json: { method: "password", identifier: "a", password: "x".repeat(200_000) },
    status: 413,
    expect: { errorId: "request_body_too_large" },
  },

  // GET /self-service/settings/api
  {
    name: "settings init without session",
    method: "GET",
    path: () => "/self-service/settings/api",
    status: 401,
    expect: { errorId: "session_inactive" },
  },

  // GET /self-service/settings/flows
  {
    name: "settings flow id with NUL",
    method: "GET",
    path: () => "/self-service/settings/flows?id=%00%00",
    session: true,
    status: 400,
    expect: { errorId: "bad_request" },
  },
  {
    name: "settings flow without id",
    method: "GET",
    path: () => "/self-service/settings/flows",
    session: true,
    status: 400,
    expect: { errorId: "bad_request" },
  },

  // POST /self-service/settings
  {
    name: "settings without session",
    method: "POST",
    path: settings,
    json: { method: "profile", traits: {} },
    status: 401,
    expect: { errorId: "session_inactive" },
  },
  {
    name: "settings malformed JSON",
    method: "POST",
    path: settings,
    raw: "{traits:",
    session: true,
    status: 400,
    expect: { errorId: "bad_request" },
  },
  {
    name: "settings __proto__ in traits",
    method: "POST",
    path: settings,
    raw: '{"method":"profile","traits":{"__proto__":{"x":1}}}',
    session: true,
    status: 400,
    expect: { errorId: "bad_request" },
  },
  {
    name: "settings constructor.prototype key",
    method: "POST",
    path: settings,
    raw: '{"method":"profile","traits.constructor.prototype.x":"1"}',
    session: true,
    status: 400,
    expect: { errorId: "bad_request" },
  },
  {
    name: "settings NUL in traits",
    method: "POST",
    path: settings,
    json: { method: "profile", traits: { email: "a\u0000b@example.com" } },
    session: true,
    status: 400,
    expect: { errorId: "bad_request" },
  },
  {
    name: "settings traits of wrong type",
    method: "POST",
    path: settings,
    json: { method: "profile", traits: "email=x" },
    session: true,
    status: 400,
    expect: { messageIds: [4000026] },
  },
  {
    name: "settings traits missing",
    method: "POST",
    path: settings,
    json: { method: "profile" },
    session: true,
    status: 400,
    expect: { messageIds: [4000002] },
  },
  {
    name: "settings unknown method",
    method: "POST",
    path: settings,
    json: { method: "totp" },
    session: true,
    status: 400,
    expect: { messageIds: [4010004] },
  },
  {
    name: "settings password of wrong type",
    method: "POST",
    path: settings,
    json: { method: "password", password: 12345678 },
    session: true,
    status: 400,
    expect: { messageIds: [4000026] },
  },
  {
    name: "settings flow not a UUID",
    method: "POST",
    path: () => "/self-service/settings?flow=abc",
    json: { method: "profile" },
    session: true,
    status: 404,
    expect: { errorId: "not_found" },
  },
];

/** Collects every UI message of a flow: the form's and each node's. */
function flowMessageIds(body: FlowJson): number[] {
  const nodeMessages = body.ui.nodes.flatMap((node) => node.messages);
  return messageIds([...(body.ui.messages ?? []), ...nodeMessages]);
}

async function sendCase(entry: HostileCase): Promise<JsonResponse> {
  return send(app, entry.method, entry.path(), {
    ...(entry.json !== undefined && { json: entry.json }),
    ...(entry.raw !== undefined && { raw: entry.raw }),
    ...(entry.contentType !== undefined && { contentType: entry.contentType }),
    ...(entry.session && { headers: { "X-Session-Token": token } }),
  });
}

describe("hostile input", () => {
  let eventsBefore: number;

  beforeAll(async () => {
    eventsBefore = await countEvents(app);
  });

  it.each(cases.map((entry) => [entry.name, entry] as const))("%s", async (_name, entry) => {
    const answer = await sendCase(entry);
    expect(answer.status).toBe(entry.status);
    if ("errorId" in entry.expect) {
      expect(answer.body.error.id).toBe(entry.expect.errorId);
      expect(answer.body.error.code).toBe(entry.status);
      expect(typeof answer.body.error.message).toBe("string");
    } else {
      expect(flowMessageIds(answer.body).sort()).toEqual([...entry.expect.messageIds].sort());
    }
  });

  it("left the event store unchanged", async () => {
    expect(await countEvents(app)).toBe(eventsBefore);
  });

  it("logged no server error", () => {
    const errors = app.logLines.filter((line) => Number(line.level) >= 50);
    expect(errors).toEqual([]);
  });
});
