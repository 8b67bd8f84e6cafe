import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../support/eventually.ts";
import { codeOf, type FlowTestApp, jsonOf, linkOf, startFlowTestApp } from "./harness.ts";

let app: FlowTestApp;
const readOnlyKey = randomBytes(32).toString("base64url");

beforeAll(async () => {
  const sha256 = createHash("sha256").update(readOnlyKey).digest("hex");
  app = await startFlowTestApp("recovery_link_admin", {
    env: {
      ADMIN_API_KEYS: JSON.stringify([{ id: "reader", sha256, scopes: ["identities:read"] }]),
    },
  });
});

afterAll(async () => {
  await app?.close();
});

async function register(email: string): Promise<{ identityId: string; token: string }> {
  const { data: flow } = await app.frontend.createNativeRegistrationFlow();
  const { data } = await app.frontend.updateRegistrationFlow({
    flow: flow.id,
    updateRegistrationFlowBody: {
      method: "password",
      traits: { email },
      password: "correct horse battery staple 42",
    },
  });
  await app.waitForMail(email);
  return { identityId: data.identity.id, token: data.session_token! };
}

async function getJson(url: string | URL) {
  const response = await fetch(url);
  return { status: response.status, body: await jsonOf(response) };
}

async function admin(path: string, body: unknown, key = app.adminKey) {
  const response = await fetch(`${app.adminUrl}${path}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await jsonOf(response) };
}

// biome-ignore lint/suspicious/noExplicitAny: the body is a recovery flow from fetch.
function sessionTokenOf(body: any): string {
  const item = body.continue_with?.find(
    (entry: { action: string }) => entry.action === "set_ory_session_token",
  );
  return (item as { ory_session_token: string }).ory_session_token;
}

describe("link methods", () => {
  it("verifies address by link", async () => {
    const { token } = await register("linda@example.com");
    const { data: flow } = await app.frontend.createNativeVerificationFlow();
    const { data: sent } = await app.frontend.updateVerificationFlow({
      flow: flow.id,
      updateVerificationFlowBody: { method: "link", email: "linda@example.com" },
    });
    expect(sent.state).toBe("sent_email");
    expect(sent.ui.messages?.map((message) => message.id)).toEqual([1080001]);

    const link = linkOf(await app.waitForMail("linda@example.com", 1));
    expect(link.pathname).toBe("/self-service/verification");
    expect(link.searchParams.get("flow")).toBe(flow.id);
    const { status, body } = await getJson(link);
    expect(status).toBe(200);
    expect(body.state).toBe("passed_challenge");
    expect(body.ui.messages.map((message: { id: number }) => message.id)).toEqual([1080002]);

    await eventually(async () => {
      const { data: session } = await app.frontend.toSession({ xSessionToken: token });
      expect(session.identity?.verifiable_addresses?.[0]?.verified).toBe(true);
    });
  });

  it("recovers by link", async () => {
    await register("lars@example.com");
    const { data: flow } = await app.frontend.createNativeRecoveryFlow();
    const { data: sent } = await app.frontend.updateRecoveryFlow({
      flow: flow.id,
      updateRecoveryFlowBody: { method: "link", email: "lars@example.com" },
    });
    expect(sent.ui.messages?.map((message) => message.id)).toEqual([1060002]);

    const link = linkOf(await app.waitForMail("lars@example.com", 1));
    const { status, body } = await getJson(link);
    expect(status).toBe(200);
    expect(body.state).toBe("passed_challenge");
    const { data: session } = await app.frontend.toSession({ xSessionToken: sessionTokenOf(body) });
    expect(session.authentication_methods?.map((method) => method.method)).toEqual([
      "link_recovery",
    ]);

    const reused = await getJson(link);
    expect(reused.status).toBe(200);
    expect(reused.body.ui.messages.map((message: { id: number }) => message.id)).toEqual([4060004]);
    expect(reused.body.continue_with.map((item: { action: string }) => item.action)).toEqual([
      "show_settings_ui",
    ]);
  });

  it("rejects forged link token", async () => {
    const { data: flow } = await app.frontend.createNativeRecoveryFlow();
    const forged = `${app.publicUrl}/self-service/recovery?flow=${flow.id}&token=${"A".repeat(43)}`;
    const { status, body } = await getJson(forged);
    expect(status).toBe(200);
    expect(body.state).toBe("choose_method");
    expect(body.ui.messages.map((message: { id: number }) => message.id)).toEqual([4060004]);
  });
});

describe("admin recovery", () => {
  it("creates recovery code", async () => {
    const { identityId } = await register("ada@example.com");
    const { status, body } = await admin("/admin/recovery/code", {
      identity_id: identityId,
      expires_in: "30m",
    });
    expect(status).toBe(201);
    expect(body.recovery_code).toMatch(/^\d{6}$/);
    const flowId = new URL(body.recovery_link).searchParams.get("flow")!;
    const expiresInMs = Date.parse(body.expires_at) - Date.now();
    expect(expiresInMs).toBeGreaterThan(29 * 60_000);
    expect(expiresInMs).toBeLessThanOrEqual(30 * 60_000);

    const { data: passed } = await app.frontend.updateRecoveryFlow({
      flow: flowId,
      updateRecoveryFlowBody: { method: "code", code: body.recovery_code },
    });
    expect(passed.state).toBe("passed_challenge");
    const { data: session } = await app.frontend.toSession({
      xSessionToken: sessionTokenOf(passed),
    });
    expect(session.identity?.id).toBe(identityId);
    expect(app.mailCount("ada@example.com")).toBe(1);
  });

  it("creates recovery link", async () => {
    const { identityId } = await register("alan@example.com");
    const { status, body } = await admin("/admin/recovery/link", { identity_id: identityId });
    expect(status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(["expires_at", "recovery_link"]);

    const opened = await getJson(body.recovery_link);
    expect(opened.status).toBe(200);
    const { data: session } = await app.frontend.toSession({
      xSessionToken: sessionTokenOf(opened.body),
    });
    expect(session.identity?.id).toBe(identityId);
  });

  it("returns 404 for unknown identity", async () => {
    for (const path of ["/admin/recovery/code", "/admin/recovery/link"]) {
      const { status, body } = await admin(path, {
        identity_id: "00000000-0000-4000-8000-000000000000",
      });
      expect(status).toBe(404);
      expect(body.error.id).toBe("not_found");
    }
  });

  it("rejects invalid expires_in", async () => {
    const { identityId } = await register("ed@example.com");
    for (const expiresIn of ["soon", "0s", "-1h", "200h", "1d"]) {
      const { status, body } = await admin("/admin/recovery/code", {
        identity_id: identityId,
        expires_in: expiresIn,
      });
      expect(status).toBe(400);
      expect(body.error.id).toBe("bad_request");
    }
  });

  it("requires recovery:write scope", async () => {
    const withoutKey = await fetch(`${app.adminUrl}/admin/recovery/code`, { method: "POST" });
    expect(withoutKey.status).toBe(401);
    const { status, body } = await admin(
      "/admin/recovery/link",
      { identity_id: "00000000-0000-4000-8000-000000000000" },
      readOnlyKey,
    );
    expect(status).toBe(403);
    expect(body.error.id).toBe("forbidden");
  });

  it("passes admin code once", async () => {
    const { identityId } = await register("once@example.com");
    const { body } = await admin("/admin/recovery/code", { identity_id: identityId });
    const flowId = new URL(body.recovery_link).searchParams.get("flow")!;
    await app.frontend.updateRecoveryFlow({
      flow: flowId,
      updateRecoveryFlowBody: { method: "code", code: body.recovery_code },
    });
    const { data: again } = await app.frontend.updateRecoveryFlow({
      flow: flowId,
      updateRecoveryFlowBody: { method: "code", code: body.recovery_code },
    });
    expect(again.ui.messages?.map((message) => message.id)).toEqual([4060006]);
  });
});

describe("code in mail", () => {
  it("contains six-digit code", async () => {
    await register("mail@example.com");
    const { data: flow } = await app.frontend.createNativeRecoveryFlow();
    await app.frontend.updateRecoveryFlow({
      flow: flow.id,
      updateRecoveryFlowBody: { method: "code", email: "mail@example.com" },
    });
    expect(codeOf(await app.waitForMail("mail@example.com", 1))).toMatch(/^\d{6}$/);
  });
});
