import { setTimeout as sleep } from "node:timers/promises";
import type { SettingsFlow } from "@ory/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { identityStreamId } from "../../src/domain/identity/index.ts";
import { codeOf, type FlowTestApp, rejection, startFlowTestApp } from "../recovery/harness.ts";
import { eventually } from "../support/eventually.ts";

const password = "settings verification passphrase 7";

/** Time given to the courier to deliver a mail that must not arrive. */
const quietPeriodMs = 1000;

let app: FlowTestApp;

beforeAll(async () => {
  app = await startFlowTestApp("verification_after_settings");
});

afterAll(async () => {
  await app?.close();
});

/** Registers an identity and waits for its registration mail, so later counts start at one. */
async function register(email: string): Promise<{ identityId: string; token: string }> {
  const { data: flow } = await app.frontend.createNativeRegistrationFlow();
  const { data } = await app.frontend.updateRegistrationFlow({
    flow: flow.id,
    updateRegistrationFlowBody: { method: "password", traits: { email }, password },
  });
  await app.waitForMail(email);
  return { identityId: data.identity.id, token: data.session_token! };
}

async function submitProfile(token: string, traits: Record<string, unknown>) {
  const { data: flow } = await app.frontend.createNativeSettingsFlow({ xSessionToken: token });
  return app.frontend.updateSettingsFlow({
    flow: flow.id,
    xSessionToken: token,
    updateSettingsFlowBody: { method: "profile", traits },
  });
}

async function countVerificationRequests(identityId: string): Promise<number> {
  const { rows } = await app.database.pool.query<{ count: string }>(
    "SELECT count(*) AS count FROM events WHERE stream_id = $1 AND event_type = $2",
    [identityStreamId(identityId), "VerificationMessageRequested"],
  );
  return Number(rows[0]?.count);
}

function verificationItems(flow: SettingsFlow) {
  return (flow.continue_with ?? []).filter((item) => item.action === "show_verification_ui");
}

describe("verification after settings", () => {
  it("verifies changed email with mailed code", async () => {
    const { identityId, token } = await register("before-change@example.com");

    const { data: settings, status } = await submitProfile(token, {
      email: "After-Change@Example.com",
    });
    expect(status).toBe(200);
    expect(settings.state).toBe("success");
    expect(settings.continue_with).toHaveLength(1);
    const item = settings.continue_with?.[0] as {
      action: string;
      flow: { id: string; url: string; verifiable_address: string };
    };
    expect(item.action).toBe("show_verification_ui");
    expect(Object.keys(item.flow).sort()).toEqual(["id", "url", "verifiable_address"]);
    expect(item.flow.verifiable_address).toBe("after-change@example.com");
    expect(item.flow.url).toBe(
      `${app.publicUrl}/self-service/verification/flows?id=${item.flow.id}`,
    );
    expect(await countVerificationRequests(identityId)).toBe(2);
    const { rows } = await app.database.pool.query<{ actor: { type: string; id?: string } }>(
      `SELECT metadata->'actor' AS actor FROM events
       WHERE stream_id = $1 AND event_type = 'VerificationMessageRequested'
       ORDER BY stream_version DESC LIMIT 1`,
      [identityStreamId(identityId)],
    );
    expect(rows[0]?.actor.type).toBe("identity");
    expect(rows[0]?.actor.id).toBe(identityId);

    const { data: pending } = await app.frontend.getVerificationFlow({ id: item.flow.id });
    expect(pending.state).toBe("sent_email");

    const code = codeOf(await app.waitForMail("after-change@example.com"));
    const { data: passed } = await app.frontend.updateVerificationFlow({
      flow: item.flow.id,
      updateVerificationFlowBody: { method: "code", code },
    });
    expect(passed.state).toBe("passed_challenge");

    await eventually(async () => {
      const { data: session } = await app.frontend.toSession({ xSessionToken: token });
      const addresses = session.identity?.verifiable_addresses ?? [];
      expect(addresses).toHaveLength(1);
      expect(addresses[0]?.value).toBe("after-change@example.com");
      expect(addresses[0]?.verified).toBe(true);
    });
    expect(app.mailCount("before-change@example.com")).toBe(1);
  });

  it("sends nothing for unchanged email", async () => {
    const { identityId, token } = await register("unchanged@example.com");

    const { data: settings } = await submitProfile(token, { email: "unchanged@example.com" });
    expect(settings.state).toBe("success");
    expect(settings.continue_with).toEqual([]);
    expect(await countVerificationRequests(identityId)).toBe(1);
    await sleep(quietPeriodMs);
    expect(app.mailCount("unchanged@example.com")).toBe(1);
  });

  it("sends nothing for changed case", async () => {
    const { identityId, token } = await register("case@example.com");

    const { data: settings } = await submitProfile(token, { email: "CASE@Example.com" });
    expect(settings.state).toBe("success");
    expect(verificationItems(settings)).toEqual([]);
    expect(await countVerificationRequests(identityId)).toBe(1);
    await sleep(quietPeriodMs);
    expect(app.mailCount("case@example.com")).toBe(1);
  });

  it("sends nothing for name change", async () => {
    const { identityId, token } = await register("named@example.com");

    const { data: settings } = await submitProfile(token, {
      email: "named@example.com",
      name: { first: "Grace", last: "Hopper" },
    });
    expect(settings.state).toBe("success");
    expect(settings.identity.traits.name).toEqual({ first: "Grace", last: "Hopper" });
    expect(settings.continue_with).toEqual([]);
    expect(await countVerificationRequests(identityId)).toBe(1);
    await sleep(quietPeriodMs);
    expect(app.mailCount("named@example.com")).toBe(1);
  });

  it("sends nothing for invalid email", async () => {
    const { identityId, token } = await register("valid@example.com");
    const eventsBefore = await countAllEvents();

    const failure = await rejection(submitProfile(token, { email: "valid@@example" }));
    expect(failure.status).toBe(400);
    expect(failure.data.state).toBe("show_form");
    const emailNode = failure.data.ui.nodes.find(
      (node: { attributes: { name?: string } }) => node.attributes.name === "traits.email",
    );
    expect(emailNode?.messages?.[0]?.type).toBe("error");
    expect(failure.data.continue_with).toEqual([]);
    expect(await countAllEvents()).toBe(eventsBefore);
    expect(await countVerificationRequests(identityId)).toBe(1);
    await sleep(quietPeriodMs);
    expect(app.mailCount("valid@@example")).toBe(0);
    expect(app.mailCount("valid@example.com")).toBe(1);
  });

  it("sends nothing for taken email", async () => {
    await register("holder@example.com");
    const { identityId, token } = await register("claimant@example.com");

    const failure = await rejection(submitProfile(token, { email: "holder@example.com" }));
    expect(failure.status).toBe(400);
    expect(failure.data.continue_with).toEqual([]);
    expect(await countVerificationRequests(identityId)).toBe(1);
    await sleep(quietPeriodMs);
    expect(app.mailCount("holder@example.com")).toBe(1);
  });
});

/** Counts every event but the courier's, which its worker appends in the background. */
async function countAllEvents(): Promise<number> {
  const { rows } = await app.database.pool.query<{ count: string }>(
    "SELECT count(*) AS count FROM events WHERE stream_id NOT LIKE 'courier-%'",
  );
  return Number(rows[0]?.count);
}
