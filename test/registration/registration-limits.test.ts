import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp("registration_limits", { REGISTRATIONS_PER_IP: "4" });
});

afterAll(async () => {
  await app?.close();
});

async function newFlow(): Promise<string> {
  const response = await fetch(`${app.publicUrl}/self-service/registration/api`);
  return ((await response.json()) as { id: string }).id;
}

async function submit(flowId: string, email: string) {
  const response = await fetch(`${app.publicUrl}/self-service/registration?flow=${flowId}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      method: "password",
      traits: { email },
      password: "a long passphrase for limits",
    }),
  });
  return {
    status: response.status,
    retryAfter: response.headers.get("Retry-After"),
    body: (await response.json()) as { error?: { id: string }; identity?: { id: string } },
  };
}

async function countIdentities(): Promise<number> {
  const { rows } = await app.database.pool.query(
    "SELECT count(*)::int AS n FROM events WHERE event_type = 'IdentityRegistered'",
  );
  return rows[0].n;
}

it("registers one identity per flow, even in parallel", async () => {
  const flowId = await newFlow();
  const results = await Promise.all([
    submit(flowId, "first-of-two@example.com"),
    submit(flowId, "second-of-two@example.com"),
  ]);
  const statuses = results.map((result) => result.status).sort();
  expect(statuses).toEqual([200, 400]);
  expect(await countIdentities()).toBe(1);

  const again = await submit(flowId, "third@example.com");
  expect(again.status).toBe(400);
  expect(again.body.error?.id).toBe("bad_request");
  expect(await countIdentities()).toBe(1);
});

it("limits registrations per client IP", async () => {
  // Three submissions above used up three of the four points.
  const allowed = await submit(await newFlow(), "fourth@example.com");
  expect(allowed.status).toBe(200);
  const limited = await submit(await newFlow(), "fifth@example.com");
  expect(limited.status).toBe(429);
  expect(limited.body.error?.id).toBe("rate_limited");
  expect(Number(limited.retryAfter)).toBeGreaterThan(0);
  expect(await countIdentities()).toBe(2);
});
