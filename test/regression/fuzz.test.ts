import { afterAll, beforeAll, expect, it } from "vitest";
import { publicCall, register, send } from "../e2e/support.ts";
import { startTestApp, type TestApp } from "../support/app.ts";

const requestsPerRoute = 200;
const someId = "7f3c1a9e-2b4d-4c8e-9f1a-3b5d7e9f1a2c";
const routes: [port: "public" | "admin", method: string, path: string][] = [
  ["public", "GET", "/health/alive"],
  ["public", "GET", "/health/ready"],
  ["public", "GET", "/schemas"],
  ["public", "GET", "/schemas/ZGVmYXVsdA"],
  ["public", "GET", "/sessions/whoami"],
  ["public", "GET", "/sessions"],
  ["public", "DELETE", "/sessions"],
  ["public", "DELETE", `/sessions/${someId}`],
  ["public", "DELETE", "/self-service/logout/api"],
  ...["registration", "login", "recovery", "verification", "settings"].flatMap(
    (kind): [port: "public", method: string, path: string][] => [
      ["public", "GET", `/self-service/${kind}/api`],
      ["public", "GET", `/self-service/${kind}/flows`],
      ["public", "POST", `/self-service/${kind}`],
    ],
  ),
  ["public", "GET", "/self-service/recovery"],
  ["public", "GET", "/self-service/verification"],
  ["admin", "GET", "/admin/identities"],
  ["admin", "POST", "/admin/identities"],
  ["admin", "GET", "/admin/identities/ID"],
  ["admin", "PUT", "/admin/identities/ID"],
  ["admin", "PATCH", "/admin/identities/ID"],
  ["admin", "GET", "/admin/identities/ID/events"],
  ["admin", "GET", "/admin/identities/ID/state"],
  ["admin", "GET", "/admin/identities/ID/verify"],
  ["admin", "GET", "/admin/identities/ID/sessions"],
  ["admin", "DELETE", "/admin/identities/ID/sessions"],
  ["admin", "GET", "/admin/identities/by/external/ext-1"],
  ["admin", "GET", "/admin/sessions/ID"],
  ["admin", "DELETE", "/admin/sessions/ID"],
  ["admin", "POST", "/admin/commands/CreateIdentity"],
  ["admin", "POST", "/admin/commands/UpdateTraits"],
  ["admin", "POST", "/admin/recovery/code"],
  ["admin", "POST", "/admin/recovery/link"],
  ["admin", "GET", "/admin/audit/events"],
  ["admin", "GET", "/admin/audit/security-events"],
  ["admin", "GET", "/admin/courier/messages"],
  ["admin", "GET", "/admin/courier/messages/ID"],
  ["admin", "GET", "/admin/projections"],
  ["admin", "GET", "/admin/metrics/prometheus"],
  ["admin", "DELETE", "/admin/identities/ID"],
  ["admin", "POST", "/admin/identities/ID/erase"],
];

/** Creates a deterministic generator (mulberry32), so that a failure repeats with its seed. */
function randomSource(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const keys = [
  "method",
  "traits",
  "email",
  "password",
  "identifier",
  "code",
  "flow",
  "token",
  "csrf_token",
  "schema_id",
  "state",
  "credentials",
  "metadata_public",
  "metadata_admin",
  "external_id",
  "identity_id",
  "expires_in",
  "page_size",
  "page_token",
  "per_page",
  "page",
  "until",
  "after",
  "types",
  "limit",
  "expand",
  "credentials_identifier",
  "ids",
  "return_to",
  "refresh",
  "aal",
  "op",
  "path",
  "value",
  "from",
  "verifiable_addresses",
  "recovery_addresses",
  "hashed_password",
  "traits.email",
  "credentials.password.config.hashed_password",
  "0",
  "",
];

function makeValue(next: () => number, depth: number): unknown {
  const pick = Math.floor(next() * (depth > 3 ? 7 : 10));
  const strings = [
    "",
    "a",
    "x@example.com",
    someId,
    "-1",
    "1e309",
    "9".repeat(40),
    "null",
    "password",
    "code",
    "link",
    "default",
    "active",
    "$2b$04$abc",
    "%00",
    "../../etc",
    "\u00e9",
    "2026-01-01T00:00:00Z",
    " ",
    "\u202e",
    "\ud83d\ude00",
    "true",
    "[]",
    "{}",
  ];
  switch (pick) {
    case 0:
      return null;
    case 1:
      return next() < 0.5;
    case 2:
      return Math.floor(next() * 2 ** 53) * (next() < 0.5 ? -1 : 1);
    case 3:
      return next() * 1e6;
    case 4:
    case 5:
    case 6:
      return strings[Math.floor(next() * strings.length)];
    case 7:
      return "z".repeat(Math.floor(next() * 5000));
    case 8:
      return Array.from({ length: Math.floor(next() * 4) }, () => makeValue(next, depth + 1));
    default:
      return makeObject(next, depth + 1);
  }
}

function makeObject(next: () => number, depth: number): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  const size = Math.floor(next() * 6);
  for (let n = 0; n < size; n += 1) {
    object[keys[Math.floor(next() * keys.length)]!] = makeValue(next, depth);
  }
  return object;
}

function makeQuery(next: () => number, flowId: string): string {
  const params = new URLSearchParams();
  if (next() < 0.6) params.set("flow", next() < 0.8 ? flowId : String(makeValue(next, 4)));
  const extra = Math.floor(next() * 4);
  for (let n = 0; n < extra; n += 1) {
    params.append(keys[Math.floor(next() * keys.length)]!, String(makeValue(next, 4)));
  }
  const text = params.toString();
  return text === "" ? "" : `?${text}`;
}

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp("regression_fuzz", {
    REGISTRATIONS_PER_IP: "100000",
    LOGIN_ATTEMPTS_PER_IP: "100000",
    COURIER_SENDS_PER_IP: "100000",
  });
});

afterAll(async () => {
  await app?.close();
});

it("answers bounded random input without a 500", async () => {
  const holder = await register(app, "fuzz-holder@example.com");
  const failures: string[] = [];
  const next = randomSource(Number(process.env.FUZZ_SEED ?? 20261204));
  const logsBefore = app.logs.length;

  for (const [port, method, template] of routes) {
    const kind = /self-service\/(\w+)/.exec(template)?.[1];
    let flowId = someId;
    if (kind !== undefined && kind !== "logout") {
      const flow = await publicCall(app, "GET", `/self-service/${kind}/api`, {
        token: kind === "settings" ? holder.token : undefined,
      });
      flowId = flow.body.id;
    }
    const base = port === "public" ? app.publicUrl : app.adminUrl;
    const path = template.replace("ID", holder.identityId);
    for (let n = 0; n < requestsPerRoute; n += 1) {
      const query = makeQuery(next, flowId);
      const headers: Record<string, string> = {};
      if (port === "admin") headers.Authorization = `Bearer ${app.adminKey}`;
      if (next() < 0.5) headers["X-Session-Token"] = holder.token;
      const shape = next();
      const options =
        method === "GET" && shape < 0.7
          ? { headers }
          : shape < 0.55
            ? { headers, json: makeObject(next, 0) }
            : shape < 0.7
              ? { headers, json: [makeObject(next, 1), makeObject(next, 1)] }
              : {
                  headers,
                  raw: new URLSearchParams(
                    Object.entries(makeObject(next, 3)).map(([k, v]): [string, string] => [
                      k,
                      String(v),
                    ]),
                  ).toString(),
                  contentType: "application/x-www-form-urlencoded",
                };
      const reply = await send(base, method, `${path}${query}`, options);
      if (reply.status >= 500) {
        const body = JSON.stringify("json" in options ? options.json : (options.raw ?? null));
        failures.push(`${reply.status} ${method} ${path}${query} ${body.slice(0, 400)}`);
      }
    }
  }

  const errorLines = app.logs
    .slice(logsBefore)
    .filter((line) => /"level":"(error|fatal)"/.test(line))
    .map((line) => line.slice(0, 600));
  expect(failures).toEqual([]);
  expect(errorLines).toEqual([]);
}, 240_000);
