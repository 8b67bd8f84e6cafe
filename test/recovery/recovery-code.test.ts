import type { RecoveryFlow } from "@ory/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codeOf, type FlowTestApp, rejection, startFlowTestApp } from "./harness.ts";

let app: FlowTestApp;
const oldPassword = "correct horse battery staple 42";
const newPassword = "tangerine submarine lighthouse 7";

beforeAll(async () => {
  app = await startFlowTestApp("recovery_code");
});

afterAll(async () => {
  await app?.close();
});

async function register(email: string): Promise<void> {
  const { data: flow } = await app.frontend.createNativeRegistrationFlow();
  await app.frontend.updateRegistrationFlow({
    flow: flow.id,
    updateRegistrationFlowBody: { method: "password", traits: { email }, password: oldPassword },
  });
  // The verification mail after registration is the first mail to the address.
  await app.waitForMail(email);
}

async function requestCode(email: string): Promise<RecoveryFlow> {
  const { data: flow } = await app.frontend.createNativeRecoveryFlow();
  const { data: sent } = await app.frontend.updateRecoveryFlow({
    flow: flow.id,
    updateRecoveryFlowBody: { method: "code", email },
  });
  return sent;
}

async function submitCode(flowId: string, code: string) {
  return app.frontend.updateRecoveryFlow({
    flow: flowId,
    updateRecoveryFlowBody: { method: "code", code },
  });
}

async function logIn(identifier: string, password: string) {
  const { data: flow } = await app.frontend.createNativeLoginFlow();
  return app.frontend.updateLoginFlow({
    flow: flow.id,
    updateLoginFlowBody: { method: "password", identifier, password },
  });
}

async function countRecoveryRequests(): Promise<number> {
  const { rows } = await app.database.pool.query<{ count: number }>(
    "SELECT count(*)::int AS count FROM events WHERE event_type = 'RecoveryMessageRequested'",
  );
  return rows[0]!.count;
}

function messageIds(flow: RecoveryFlow): number[] {
  return (flow.ui.messages ?? []).map((message) => message.id);
}

function wrongCode(code: string): string {
  return code === "123456" ? "654321" : "123456";
}

describe("recovery by code", () => {
  it("signs in and opens settings", async () => {
    await register("rita@example.com");
    const sent = await requestCode("rita@example.com");
    expect(sent.state).toBe("sent_email");
    expect(messageIds(sent)).toEqual([1060003]);
    const code = codeOf(await app.waitForMail("rita@example.com", 1));

    const { data: passed, status } = await submitCode(sent.id, code);
    expect(status).toBe(200);
    expect(passed.state).toBe("passed_challenge");
    const actions = (passed.continue_with ?? []).map((item) => item.action);
    expect(actions).toEqual(["show_settings_ui", "set_ory_session_token"]);

    const tokenItem = passed.continue_with?.find((i) => i.action === "set_ory_session_token");
    const token = (tokenItem as { ory_session_token: string }).ory_session_token;
    const settingsItem = passed.continue_with?.find((i) => i.action === "show_settings_ui");
    const settingsFlow = (settingsItem as { flow: { id: string; url?: string } }).flow;
    expect(settingsFlow.url).toContain(settingsFlow.id);

    const { data: session } = await app.frontend.toSession({ xSessionToken: token });
    expect(session.authenticator_assurance_level).toBe("aal1");
    expect(session.authentication_methods?.map((m) => m.method)).toEqual(["code_recovery"]);
    expect(session.identity?.verifiable_addresses?.[0]?.verified).toBe(true);

    const { data: settings } = await app.frontend.getSettingsFlow({
      id: settingsFlow.id,
      xSessionToken: token,
    });
    expect(settings.identity.id).toBe(session.identity?.id);
    expect(settings.ui.messages?.map((message) => message.id)).toEqual([1060001]);

    const { data: saved } = await app.frontend.updateSettingsFlow({
      flow: settingsFlow.id,
      xSessionToken: token,
      updateSettingsFlowBody: { method: "password", password: newPassword },
    });
    expect(saved.state).toBe("success");

    const { status: newStatus } = await logIn("rita@example.com", newPassword);
    expect(newStatus).toBe(200);
    const old = await rejection(logIn("rita@example.com", oldPassword));
    expect(old.status).toBe(400);
    expect(old.data.ui.messages.map((m: { id: number }) => m.id)).toEqual([4000006]);
  });

  it("rejects used recovery code", async () => {
    await register("reuse@example.com");
    const sent = await requestCode("reuse@example.com");
    const code = codeOf(await app.waitForMail("reuse@example.com", 1));
    await submitCode(sent.id, code);

    const { data: again, status } = await submitCode(sent.id, code);
    expect(status).toBe(200);
    expect(messageIds(again)).toEqual([4060006]);
    expect(again.continue_with?.some((i) => i.action === "set_ory_session_token")).toBe(false);
  });

  it("invalidates flow after five wrong codes", async () => {
    await register("guess@example.com");
    const sent = await requestCode("guess@example.com");
    const code = codeOf(await app.waitForMail("guess@example.com", 1));

    for (let attempt = 1; attempt <= 4; attempt += 1) {
      const { data, status } = await submitCode(sent.id, wrongCode(code));
      expect(status).toBe(200);
      expect(messageIds(data)).toEqual([4060006]);
    }
    const fifth = await rejection(submitCode(sent.id, wrongCode(code)));
    expect(fifth.status).toBe(400);
    expect(fifth.data.ui.messages).toEqual([
      {
        id: 4000001,
        text: "The request was submitted too often. Please request another code.",
        type: "error",
        context: { reason: "The request was submitted too often. Please request another code." },
      },
    ]);

    const correct = await rejection(submitCode(sent.id, code));
    expect(correct.status).toBe(400);
    expect(correct.data.ui.messages[0].id).toBe(4000001);
    const resend = await rejection(
      app.frontend.updateRecoveryFlow({
        flow: sent.id,
        updateRecoveryFlowBody: { method: "code", email: "guess@example.com" },
      }),
    );
    expect(resend.data.ui.messages[0].id).toBe(4000001);
  });

  it("limits parallel guesses to five", async () => {
    await register("parallel@example.com");
    const sent = await requestCode("parallel@example.com");
    const code = codeOf(await app.waitForMail("parallel@example.com", 1));
    const guesses = Array.from({ length: 12 }, () =>
      submitCode(sent.id, wrongCode(code)).then(
        (response) => response.status,
        (error: { response?: { status: number } }) => error.response?.status,
      ),
    );
    const statuses = await Promise.all(guesses);
    expect(statuses.filter((status) => status === 200).length).toBeLessThanOrEqual(4);
    expect(statuses.filter((status) => status === 400).length).toBeGreaterThanOrEqual(8);

    const after = await rejection(submitCode(sent.id, code));
    expect(after.status).toBe(400);
  });

  it("invalidates previous code on resend", async () => {
    await register("resend@example.com");
    const sent = await requestCode("resend@example.com");
    const first = codeOf(await app.waitForMail("resend@example.com", 1));
    await app.frontend.updateRecoveryFlow({
      flow: sent.id,
      updateRecoveryFlowBody: { method: "code", email: "resend@example.com" },
    });
    const second = codeOf(await app.waitForMail("resend@example.com", 2));

    if (first !== second) {
      const { data } = await submitCode(sent.id, first);
      expect(messageIds(data)).toEqual([4060006]);
    }
    const { data: passed } = await submitCode(sent.id, second);
    expect(passed.state).toBe("passed_challenge");
  });
});

describe("recovery for unknown address", () => {
  it("answers exactly like known address", async () => {
    await register("exists@example.com");
    const requestsBefore = await countRecoveryRequests();
    const startedKnown = performance.now();
    const known = await requestCode("exists@example.com");
    const knownMs = performance.now() - startedKnown;
    const startedUnknown = performance.now();
    const unknown = await requestCode("ghost@example.com");
    const unknownMs = performance.now() - startedUnknown;

    const normalize = (flow: RecoveryFlow) =>
      JSON.parse(
        JSON.stringify(flow)
          .replaceAll(flow.id, "<flow>")
          .replace(/"(expires_at|issued_at)":"[^"]+"/g, '"$1":"<time>"')
          .replaceAll("exists@example.com", "<address>")
          .replaceAll("ghost@example.com", "<address>"),
      );
    expect(normalize(unknown)).toEqual(normalize(known));
    expect(messageIds(unknown)).toEqual([1060003]);
    expect(Math.abs(knownMs - unknownMs)).toBeLessThan(150);

    await app.waitForMail("exists@example.com", 1);
    expect(app.mailCount("ghost@example.com")).toBe(0);
    expect(await countRecoveryRequests()).toBe(requestsBefore + 1);
  });

  it("rejects any code for unknown address", async () => {
    const sent = await requestCode("phantom@example.com");
    const { data } = await submitCode(sent.id, "123456");
    expect(messageIds(data)).toEqual([4060006]);
  });
});
