import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTcpProxy, type TcpProxy } from "../courier/tcp-proxy.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { eventually } from "../support/eventually.ts";

// Registrar reaches Redis through a proxy that the test cuts, which looks to Registrar like a
// stopped Redis server while other users of the machine's Redis are unaffected.
let proxy: TcpProxy;
let app: TestApp;

beforeAll(async () => {
  proxy = await startTcpProxy(6379);
  app = await startTestApp("redis_outage", { REDIS_URL: proxy.url });
});

afterAll(async () => {
  await app?.close();
  await proxy?.close();
});

async function register(email: string): Promise<number> {
  const flow = (await (await fetch(`${app.publicUrl}/self-service/registration/api`)).json()) as {
    id: string;
  };
  const response = await fetch(`${app.publicUrl}/self-service/registration?flow=${flow.id}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      method: "password",
      traits: { email },
      password: "a long passphrase for the outage",
    }),
  });
  await response.arrayBuffer();
  return response.status;
}

it("registers during a Redis outage and delivers every mail once it is back", async () => {
  await proxy.cut();
  const emails = ["outage-1@example.com", "outage-2@example.com", "outage-3@example.com"];
  const statuses = [];
  for (const email of emails) statuses.push(await register(email));
  expect(statuses).toEqual([200, 200, 200]);

  // Nothing can be delivered while Redis is unreachable.
  await sleep(1_000);
  const capture = app.registrar.courier.captureServer!;
  expect(capture.messages()).toHaveLength(0);

  await proxy.restore();
  await eventually(async () => {
    const recipients = capture.messages().flatMap((mail) => mail.envelope.to);
    for (const email of emails) expect(recipients).toContain(email);
  }, 40_000);

  // Give a duplicate the time to show up before counting.
  await sleep(1_500);
  const recipients = capture.messages().flatMap((mail) => mail.envelope.to);
  expect([...recipients].sort()).toEqual([...emails].sort());
});
