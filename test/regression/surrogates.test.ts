import { afterAll, beforeAll, expect, it } from "vitest";
import {
  expectErrorEnvelope,
  publicCall,
  register,
  type SendOptions,
  send,
  settledEventCount,
} from "../e2e/support.ts";
import { startTestApp, type TestApp } from "../support/app.ts";

const someId = "7f3c1a9e-2b4d-4c8e-9f1a-3b5d7e9f1a2c";
const publicRoutes: [string, string][] = [
  ["POST", "/self-service/registration?flow=FLOW"],
  ["POST", "/self-service/login?flow=FLOW"],
  ["POST", "/self-service/recovery?flow=FLOW"],
  ["POST", "/self-service/verification?flow=FLOW"],
  ["POST", "/self-service/settings?flow=FLOW"],
  ["GET", "/sessions/whoami"],
  ["DELETE", "/self-service/logout/api"],
  ["DELETE", "/sessions"],
  ["GET", "/health/alive"],
];
const adminRoutes: [string, string][] = [
  ["POST", "/admin/identities"],
  ["PUT", `/admin/identities/${someId}`],
  ["PATCH", `/admin/identities/${someId}`],
  ["POST", "/admin/commands/CreateIdentity"],
  ["POST", "/admin/commands/DeleteIdentity"],
  ["POST", "/admin/recovery/code"],
  ["POST", "/admin/recovery/link"],
  ["POST", `/admin/identities/${someId}/erase`],
  ["POST", "/admin/projections/identities/rebuild"],
  ["DELETE", `/admin/sessions/${someId}`],
];

// Each body carries a lone high surrogate: as a JSON escape in a value, as one in a key, as the
// raw CESU-8 bytes of U+D800, and percent-encoded in a form field.
const bodies: Record<string, SendOptions> = {
  "escaped value": { raw: '{"method":"password","traits":{"email":"a\\ud800@example.com"}}' },
  "escaped key": { raw: '{"method":"password","tr\\uD800aits":{}}' },
  "patch value": { raw: '[{"op":"add","path":"/metadata_admin","value":"\\uD800"}]' },
  "raw bytes": {
    raw: Buffer.concat([
      Buffer.from('{"method":"'),
      Buffer.from([0xed, 0xa0, 0x80]),
      Buffer.from('"}'),
    ]),
  },
  "form field": {
    raw: Buffer.concat([
      Buffer.from("method=password&traits.email=a"),
      Buffer.from([0xed, 0xa0, 0x80]),
    ]),
    contentType: "application/x-www-form-urlencoded",
  },
};

// Percent-decoding turns the CESU-8 bytes of U+D800 into U+FFFD characters, so this form body
// holds no lone surrogate and may reach the route, but it must not fail there.
const percentEncodedForm: SendOptions = {
  raw: "method=password&traits.email=a%ED%A0%80%40example.com",
  contentType: "application/x-www-form-urlencoded",
};

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp("regression_surrogates");
});

afterAll(async () => {
  await app?.close();
});

it("rejects lone surrogates on every route", async () => {
  const registered = await register(app, "surrogate-holder@example.com");
  const before = await settledEventCount(app);
  const errorLines = () => app.logs.filter((line) => /"level":"(error|fatal)"/.test(line)).length;
  const errorsBefore = errorLines();

  const targets = [
    ...publicRoutes.map(([method, path]) => [app.publicUrl, method, path, {}] as const),
    ...adminRoutes.map(
      ([method, path]) =>
        [app.adminUrl, method, path, { Authorization: `Bearer ${app.adminKey}` }] as const,
    ),
  ];
  for (const [base, method, template, headers] of targets) {
    const kind = /self-service\/(\w+)/.exec(template)?.[1];
    let path = template;
    if (kind !== undefined && kind !== "logout") {
      const token = kind === "settings" ? registered.token : undefined;
      const flow = await publicCall(app, "GET", `/self-service/${kind}/api`, { token });
      path = template.replace("FLOW", flow.body.id);
    }
    const sessionHeaders: Record<string, string> = /settings|sessions|logout/.test(template)
      ? { "X-Session-Token": registered.token }
      : {};
    for (const [label, body] of Object.entries(bodies)) {
      const reply = await send(base, method, path, {
        ...body,
        headers: { ...headers, ...sessionHeaders },
      });
      expectErrorEnvelope(reply, 400, "bad_request", `${method} ${template} with ${label}`);
    }
    if (base === app.publicUrl && method === "POST") {
      const reply = await send(base, method, path, {
        ...percentEncodedForm,
        headers: { ...headers, ...sessionHeaders },
      });
      expect(reply.status, `${template} with a percent-encoded form: ${reply.text}`).toBe(400);
    }
  }

  expect(await settledEventCount(app)).toBe(before);
  expect(errorLines()).toBe(errorsBefore);

  const started = Date.now();
  const fresh = await register(app, "after-surrogates@example.com");
  const whoami = await publicCall(app, "GET", "/sessions/whoami", { token: fresh.token });
  expect(whoami.status).toBe(200);
  expect(whoami.body.identity.id).toBe(fresh.identityId);
  expect(Date.now() - started).toBeLessThan(1000);
});
