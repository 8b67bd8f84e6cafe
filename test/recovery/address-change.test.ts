import { afterAll, beforeAll, expect, it } from "vitest";
import { codeOf, type FlowTestApp, startFlowTestApp } from "./harness.ts";

let app: FlowTestApp;

beforeAll(async () => {
  app = await startFlowTestApp("recovery_address_change");
});

afterAll(async () => {
  await app?.close();
});

it("rejects a code sent to an address the identity no longer has", async () => {
  const { data: registration } = await app.frontend.createNativeRegistrationFlow();
  const { data: registered } = await app.frontend.updateRegistrationFlow({
    flow: registration.id,
    updateRegistrationFlowBody: {
      method: "password",
      traits: { email: "before@example.com" },
      password: "correct horse battery staple 42",
    },
  });
  await app.waitForMail("before@example.com");

  const { data: flow } = await app.frontend.createNativeRecoveryFlow();
  await app.frontend.updateRecoveryFlow({
    flow: flow.id,
    updateRecoveryFlowBody: { method: "code", email: "before@example.com" },
  });
  const code = codeOf(await app.waitForMail("before@example.com", 1));

  const patched = await fetch(`${app.adminUrl}/admin/identities/${registered.identity.id}`, {
    method: "PATCH",
    headers: { Authorization: `Bearer ${app.adminKey}`, "Content-Type": "application/json" },
    body: JSON.stringify([{ op: "replace", path: "/traits/email", value: "after@example.com" }]),
  });
  expect(patched.status).toBe(200);

  const submitted = await fetch(`${app.publicUrl}/self-service/recovery?flow=${flow.id}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ method: "code", code }),
  });
  const body = (await submitted.json()) as {
    state?: string;
    continue_with?: unknown[];
    ui: { messages?: { id: number }[] };
  };
  expect(body.state).not.toBe("passed_challenge");
  expect(body.continue_with ?? []).toEqual([]);
  expect(body.ui.messages?.map((message) => message.id)).toContain(4060006);
});
