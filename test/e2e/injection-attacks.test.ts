import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import {
  countEvents,
  expectErrorEnvelope,
  expectFlowMessage,
  goodPassword,
  mailsTo,
  publicCall,
  type Registered,
  register,
  type SendOptions,
  settledEventCount,
  waitForMail,
} from "./support.ts";

let app: TestApp;
let holder: Registered;

beforeAll(async () => {
  app = await startTestApp("e2e_injection_attacks", { COURIER_SENDS_PER_IP: "1000" });
  holder = await register(app, "holder@example.com");
  await waitForMail(app, "holder@example.com");
});

afterAll(async () => {
  await app?.close();
});

const injected = "\r\nBcc: evil@evil.test\r\nSubject: pwned";

/** Returns every recipient of every captured mail. */
function allRecipients(): string[] {
  const capture = app.registrar.courier.captureServer!;
  return capture.messages().flatMap((mail) => mail.envelope.to);
}

describe("header injection", () => {
  it("keeps CRLF in traits out of mail headers", async () => {
    const name = { first: `Eve${injected}`, last: `Doe\nX-Injected: 1` };
    const registered = await register(app, "crlf@example.com", goodPassword, { name });
    await waitForMail(app, "crlf@example.com");
    await sleep(300);

    const [mail] = mailsTo(app, "crlf@example.com");
    expect(mail?.envelope.to, "the envelope has the one address").toEqual(["crlf@example.com"]);
    expect(mail?.headers.bcc, "no Bcc header").toBeUndefined();
    expect(mail?.headers["x-injected"], "no injected header").toBeUndefined();
    expect(mail?.headers.subject, "the template's subject only").toEqual([
      "Your verification code",
    ]);
    expect(allRecipients(), "no mail to the injected address").not.toContain("evil@evil.test");

    const whoami = await publicCall(app, "GET", "/sessions/whoami", { token: registered.token });
    expect(whoami.body.identity.traits.name, "the traits keep the text as data").toEqual(name);
  });

  it("rejects CRLF in submitted emails", async () => {
    const eventsBefore = await settledEventCount(app);
    for (const kind of ["recovery", "verification"] as const) {
      for (const email of [
        `holder@example.com${injected}`,
        "holder@example.com\nBcc: evil@evil.test",
        "holder@example.com,evil@evil.test",
        "Holder <holder@example.com>, evil@evil.test",
      ]) {
        const flow = await publicCall(app, "GET", `/self-service/${kind}/api`);
        const reply = await publicCall(app, "POST", `/self-service/${kind}?flow=${flow.body.id}`, {
          json: { method: "code", email },
        });
        expectFlowMessage(reply, 4000040, `${kind} with ${JSON.stringify(email)}`);
      }
    }
    await sleep(300);
    expect(allRecipients(), "no mail to the injected address").not.toContain("evil@evil.test");
    expect(mailsTo(app, "holder@example.com").length, "no extra mail to the holder").toBe(1);
    expect(await countEvents(app), "rejected emails append no event").toBe(eventsBefore);
  });

  it("replaces a client's request id", async () => {
    const reply = await publicCall(app, "GET", "/health/alive", {
      headers: { "X-Request-Id": "forged-id-in-the-logs" },
    });
    expect(reply.headers["x-request-id"], "the server's own id").not.toBe("forged-id-in-the-logs");
    expect(reply.headers["x-request-id"], "a UUID").toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("deep JSON", () => {
  const depth = 40_000;
  // 80 KB of brackets, under the 100 KiB body limit, and far deeper than the 32 levels allowed.
  const deepArray = `{"method":"password","traits":${"[".repeat(depth)}${"]".repeat(depth)}}`;
  const deepObject = `{"traits":${'{"a":'.repeat(33)}1${"}".repeat(33)}}`;
  const deepKey = `{"${Array.from({ length: 40 }, (_, index) => `k${index}`).join(".")}":1}`;

  const routes: { method: string; path: () => string; token?: boolean }[] = [
    { method: "POST", path: () => "/self-service/registration?flow=FLOW" },
    { method: "POST", path: () => "/self-service/login?flow=FLOW" },
    { method: "POST", path: () => "/self-service/recovery?flow=FLOW" },
    { method: "POST", path: () => "/self-service/verification?flow=FLOW" },
    { method: "POST", path: () => "/self-service/settings?flow=FLOW", token: true },
    { method: "POST", path: () => "/sessions/whoami", token: true },
    { method: "DELETE", path: () => "/sessions", token: true },
    { method: "DELETE", path: () => "/self-service/logout/api" },
  ];

  for (const [name, raw] of [
    ["40,000 nested arrays", deepArray],
    ["33 nested objects", deepObject],
    ["a 40-segment dotted key", deepKey],
  ] as const) {
    it(`rejects ${name} everywhere`, async () => {
      const eventsBefore = await settledEventCount(app);
      for (const route of routes) {
        const options: SendOptions = { raw, ...(route.token && { token: holder.token }) };
        const started = performance.now();
        // The parser rejects the body before the flow is loaded, so an unknown flow id serves.
        const path = route.path().replace("FLOW", "00000000-0000-4000-8000-000000000000");
        const reply = await publicCall(app, route.method, path, options);
        const label = `${route.method} ${path} with ${name}`;
        expectErrorEnvelope(reply, 400, "bad_request", label);
        expect(performance.now() - started, `${label} responds within 2 s`).toBeLessThan(2_000);
      }
      const alive = await publicCall(app, "GET", "/sessions/whoami", { token: holder.token });
      expect(alive.status, "the server still responds").toBe(200);
      expect(await countEvents(app), `${name} appends no event`).toBe(eventsBefore);
    });
  }
});
