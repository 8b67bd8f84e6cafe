import { afterAll, beforeAll, expect, it } from "vitest";
import { adminCall, expectErrorEnvelope, goodPassword, publicCall } from "../e2e/support.ts";
import { startTestApp, type TestApp } from "../support/app.ts";

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp("regression_registration_limits", { REGISTRATIONS_PER_IP: "4" });
});

afterAll(async () => {
  await app?.close();
});

function submit(flowId: string, email: string) {
  return publicCall(app, "POST", `/self-service/registration?flow=${flowId}`, {
    json: { method: "password", password: goodPassword, traits: { email } },
  });
}

it("registers one identity per flow and limits each IP", async () => {
  const flow = await publicCall(app, "GET", "/self-service/registration/api");
  const [first, second] = await Promise.all([
    submit(flow.body.id, "first@example.com"),
    submit(flow.body.id, "second@example.com"),
  ]);
  const third = await submit(flow.body.id, "third@example.com");
  const statuses = [first.status, second.status, third.status];
  expect(statuses.filter((status) => status === 200)).toHaveLength(1);
  for (const reply of [first, second, third]) {
    expect(reply.status, reply.text.slice(0, 300)).toBeLessThan(500);
  }

  const listed = await adminCall(app, "GET", "/admin/identities");
  expect(listed.status).toBe(200);
  expect(listed.body).toHaveLength(1);

  const replies = [];
  for (let n = 0; n < 6; n += 1) {
    const next = await publicCall(app, "GET", "/self-service/registration/api");
    replies.push(await submit(next.body.id, `limited-${n}@example.com`));
  }
  const limited = replies.find((reply) => reply.status === 429);
  expect(limited, replies.map((reply) => reply.status).join(",")).toBeDefined();
  expectErrorEnvelope(limited!, 429, "rate_limited", "registration over the IP limit");
  expect(Number(limited!.headers["retry-after"])).toBeGreaterThan(0);
  expect(replies.slice(replies.indexOf(limited!)).every((reply) => reply.status === 429)).toBe(
    true,
  );

  const total = await adminCall(app, "GET", "/admin/identities");
  expect(total.body.length).toBeLessThanOrEqual(4);
});
