import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FlowTestApp, rejection, startFlowTestApp } from "./harness.ts";

let app: FlowTestApp;

// Per IP: 1 registration mail, 2 recovery requests for "capped", 2 for "nobody" and 1 more.
const sendsPerIp = 6;

beforeAll(async () => {
  app = await startFlowTestApp("send_limits", { sendsPerAddress: 2, sendsPerIp });
});

afterAll(async () => {
  await app?.close();
});

async function requestRecovery(email: string) {
  const { data: flow } = await app.frontend.createNativeRecoveryFlow();
  return app.frontend.updateRecoveryFlow({
    flow: flow.id,
    updateRecoveryFlowBody: { method: "code", email },
  });
}

async function countEvents(): Promise<number> {
  const { rows } = await app.database.pool.query<{ count: number }>(
    "SELECT count(*)::int AS count FROM events WHERE stream_id LIKE 'identity-%'",
  );
  return rows[0]!.count;
}

function normalize(body: unknown, flowId: string): unknown {
  return JSON.parse(
    JSON.stringify(body)
      .replaceAll(flowId, "<flow>")
      .replace(/"(expires_at|issued_at)":"[^"]+"/g, '"$1":"<time>"')
      .replace(/[a-z]+@example\.com/g, "<address>"),
  );
}

describe("send limits", () => {
  it("answers address limit as sent", async () => {
    const { data: registrationFlow } = await app.frontend.createNativeRegistrationFlow();
    await app.frontend.updateRegistrationFlow({
      flow: registrationFlow.id,
      updateRegistrationFlowBody: {
        method: "password",
        traits: { email: "capped@example.com" },
        password: "correct horse battery staple 42",
      },
    });
    await app.waitForMail("capped@example.com");

    const { data: allowed } = await requestRecovery("capped@example.com");
    await app.waitForMail("capped@example.com", 1);
    const eventsBefore = await countEvents();
    const { data: limited, status } = await requestRecovery("capped@example.com");
    expect(status).toBe(200);
    expect(normalize(limited, limited.id)).toEqual(normalize(allowed, allowed.id));
    expect(limited.ui.messages?.map((message) => message.id)).toEqual([1060003]);

    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(app.mailCount("capped@example.com")).toBe(2);
    expect(await countEvents()).toBe(eventsBefore);
  });

  it("answers unknown address over limit alike", async () => {
    const { data: first } = await requestRecovery("nobody@example.com");
    const { data: limited } = await requestRecovery("nobody@example.com");
    expect(normalize(limited, limited.id)).toEqual(normalize(first, first.id));
    expect(limited.state).toBe("sent_email");
  });

  it("rejects requests over IP limit", async () => {
    await requestRecovery("last@example.com");
    const eventsBefore = await countEvents();
    const failure = await rejection(requestRecovery("other@example.com"));
    expect(failure.status).toBe(429);
    expect(failure.data.error.id).toBe("rate_limited");
    expect(Number(failure.data.error.details.retry_after_seconds)).toBeGreaterThan(0);
    expect(await countEvents()).toBe(eventsBefore);
  });

  it("sends Retry-After header", async () => {
    const { data: flow } = await app.frontend.createNativeVerificationFlow();
    const response = await fetch(`${app.publicUrl}/self-service/verification?flow=${flow.id}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ method: "code", email: "someone@example.com" }),
    });
    expect(response.status).toBe(429);
    expect(Number(response.headers.get("Retry-After"))).toBeGreaterThan(0);
  });

  it("registers despite IP limit", async () => {
    const { data: flow } = await app.frontend.createNativeRegistrationFlow();
    const { data, status } = await app.frontend.updateRegistrationFlow({
      flow: flow.id,
      updateRegistrationFlowBody: {
        method: "password",
        traits: { email: "late@example.com" },
        password: "correct horse battery staple 42",
      },
    });
    expect(status).toBe(200);
    expect(data.continue_with?.map((item) => item.action)).toEqual([
      "set_ory_session_token",
      "show_verification_ui",
    ]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(app.mailCount("late@example.com")).toBe(0);
  });
});
