import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FlowTestApp, jsonOf, rejection, startFlowTestApp } from "../recovery/harness.ts";

const password = "disabled flows passphrase 7";

/** Time given to the courier to deliver a mail that must not arrive. */
const quietPeriodMs = 1000;

let app: FlowTestApp;

beforeAll(async () => {
  app = await startFlowTestApp("flows_disabled", {
    env: { VERIFICATION_ENABLED: "false", RECOVERY_ENABLED: "false" },
  });
});

afterAll(async () => {
  await app?.close();
});

async function countMessageRequests(): Promise<number> {
  const { rows } = await app.database.pool.query<{ count: string }>(
    `SELECT count(*) AS count FROM events
     WHERE event_type IN ('VerificationMessageRequested', 'RecoveryMessageRequested')`,
  );
  return Number(rows[0]?.count);
}

async function register(email: string): Promise<string> {
  const { data: flow } = await app.frontend.createNativeRegistrationFlow();
  const { data } = await app.frontend.updateRegistrationFlow({
    flow: flow.id,
    updateRegistrationFlowBody: { method: "password", traits: { email }, password },
  });
  expect(data.continue_with?.map((item) => item.action)).toEqual(["set_ory_session_token"]);
  return data.session_token!;
}

describe("verification and recovery disabled", () => {
  it("sends no verification mail on registration", async () => {
    await register("registered@example.com");
    await sleep(quietPeriodMs);
    expect(app.mailCount("registered@example.com")).toBe(0);
    expect(await countMessageRequests()).toBe(0);
  });

  it("sends no verification mail on email change", async () => {
    const token = await register("before@example.com");
    const { data: flow } = await app.frontend.createNativeSettingsFlow({ xSessionToken: token });
    const { data: settings } = await app.frontend.updateSettingsFlow({
      flow: flow.id,
      xSessionToken: token,
      updateSettingsFlowBody: { method: "profile", traits: { email: "after@example.com" } },
    });
    expect(settings.continue_with ?? []).toEqual([]);
    await sleep(quietPeriodMs);
    expect(app.mailCount("after@example.com")).toBe(0);
    expect(await countMessageRequests()).toBe(0);
  });

  it.each([
    ["verification", () => app.frontend.createNativeVerificationFlow()],
    ["recovery", () => app.frontend.createNativeRecoveryFlow()],
    ["verification fetch", () => app.frontend.getVerificationFlow({ id: crypto.randomUUID() })],
    ["recovery fetch", () => app.frontend.getRecoveryFlow({ id: crypto.randomUUID() })],
  ])("rejects the %s route", async (_name, request) => {
    const failure = await rejection(request());
    expect(failure.status).toBe(400);
    expect(failure.data.error.id).toBe("self_service_flow_disabled");
  });

  it.each(["verification", "recovery"])("rejects %s submits", async (flow) => {
    const response = await fetch(
      `${app.publicUrl}/self-service/${flow}?flow=${crypto.randomUUID()}`,
      {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ method: "code", email: "registered@example.com" }),
      },
    );
    expect(response.status).toBe(400);
    expect((await jsonOf(response)).error.id).toBe("self_service_flow_disabled");
  });

  it.each(["code", "link"])("rejects admin recovery %s", async (kind) => {
    const { rows } = await app.database.pool.query<{ id: string }>(
      "SELECT id FROM identities LIMIT 1",
    );
    const response = await fetch(`${app.adminUrl}/admin/recovery/${kind}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${app.adminKey}`, "Content-Type": "application/json" },
      body: JSON.stringify({ identity_id: rows[0]!.id }),
    });
    expect(response.status).toBe(400);
    expect((await jsonOf(response)).error.id).toBe("self_service_flow_disabled");
    expect(await countMessageRequests()).toBe(0);
  });
});
