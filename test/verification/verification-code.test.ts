import type { VerificationFlow } from "@ory/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codeOf, type FlowTestApp, rejection, startFlowTestApp } from "../recovery/harness.ts";
import { eventually } from "../support/eventually.ts";

let app: FlowTestApp;

beforeAll(async () => {
  app = await startFlowTestApp("verification_code");
});

afterAll(async () => {
  await app?.close();
});

async function register(email: string) {
  const { data: flow } = await app.frontend.createNativeRegistrationFlow();
  const { data } = await app.frontend.updateRegistrationFlow({
    flow: flow.id,
    updateRegistrationFlowBody: {
      method: "password",
      traits: { email },
      password: "correct horse battery staple 42",
    },
  });
  return data;
}

function messageIds(flow: VerificationFlow): number[] {
  return (flow.ui.messages ?? []).map((message) => message.id);
}

describe("verification after registration", () => {
  it("verifies address with mailed code", async () => {
    const registered = await register("vera@example.com");
    const show = registered.continue_with?.find((item) => item.action === "show_verification_ui");
    expect(show).toBeDefined();
    const flowId = (show as { flow: { id: string; verifiable_address: string } }).flow.id;
    expect((show as { flow: { verifiable_address: string } }).flow.verifiable_address).toBe(
      "vera@example.com",
    );

    const code = codeOf(await app.waitForMail("vera@example.com"));
    expect(code).toMatch(/^\d{6}$/);

    const { data: passed, status } = await app.frontend.updateVerificationFlow({
      flow: flowId,
      updateVerificationFlowBody: { method: "code", code },
    });
    expect(status).toBe(200);
    expect(passed.state).toBe("passed_challenge");
    expect(messageIds(passed)).toEqual([1080002]);
    const anchor = passed.ui.nodes.find(
      (node) => node.attributes.node_type === "a" && node.attributes.id === "continue",
    );
    expect(anchor).toBeDefined();

    const token = registered.session_token!;
    await eventually(async () => {
      const { data: session } = await app.frontend.toSession({ xSessionToken: token });
      const address = session.identity?.verifiable_addresses?.[0];
      expect(address?.verified).toBe(true);
      expect(address?.status).toBe("completed");
    });
  });

  it("marks address sent after registration", async () => {
    const registered = await register("sent@example.com");
    const token = registered.session_token!;
    await eventually(async () => {
      const { data: session } = await app.frontend.toSession({ xSessionToken: token });
      expect(session.identity?.verifiable_addresses?.[0]?.status).toBe("sent");
    });
  });
});

describe("verification flow", () => {
  it("sends code to known address", async () => {
    await register("known@example.com");
    await app.waitForMail("known@example.com");
    const { data: flow } = await app.frontend.createNativeVerificationFlow();
    expect(flow.state).toBe("choose_method");

    const { data: sent } = await app.frontend.updateVerificationFlow({
      flow: flow.id,
      updateVerificationFlowBody: { method: "code", email: "Known@Example.com" },
    });
    expect(sent.state).toBe("sent_email");
    expect(messageIds(sent)).toEqual([1080003]);

    const code = codeOf(await app.waitForMail("known@example.com", 1));
    const { data: passed } = await app.frontend.updateVerificationFlow({
      flow: flow.id,
      updateVerificationFlowBody: { method: "code", code },
    });
    expect(passed.state).toBe("passed_challenge");
  });

  it("answers unknown address like known", async () => {
    const { data: flow } = await app.frontend.createNativeVerificationFlow();
    const { data: sent, status } = await app.frontend.updateVerificationFlow({
      flow: flow.id,
      updateVerificationFlowBody: { method: "code", email: "nobody@example.com" },
    });
    expect(status).toBe(200);
    expect(sent.state).toBe("sent_email");
    expect(messageIds(sent)).toEqual([1080003]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(app.mailCount("nobody@example.com")).toBe(0);
  });

  it("rejects wrong verification code", async () => {
    await register("wrong@example.com");
    const { data: flow } = await app.frontend.createNativeVerificationFlow();
    await app.frontend.updateVerificationFlow({
      flow: flow.id,
      updateVerificationFlowBody: { method: "code", email: "wrong@example.com" },
    });
    const code = codeOf(await app.waitForMail("wrong@example.com", 1));
    const wrong = code === "000000" ? "000001" : "000000";

    const { data: failed } = await app.frontend.updateVerificationFlow({
      flow: flow.id,
      updateVerificationFlowBody: { method: "code", code: wrong },
    });
    expect(failed.state).toBe("sent_email");
    expect(messageIds(failed)).toEqual([4070006]);
  });

  it("rejects used verification code", async () => {
    await register("twice@example.com");
    const { data: flow } = await app.frontend.createNativeVerificationFlow();
    await app.frontend.updateVerificationFlow({
      flow: flow.id,
      updateVerificationFlowBody: { method: "code", email: "twice@example.com" },
    });
    const code = codeOf(await app.waitForMail("twice@example.com", 1));
    await app.frontend.updateVerificationFlow({
      flow: flow.id,
      updateVerificationFlowBody: { method: "code", code },
    });

    const { data: again } = await app.frontend.updateVerificationFlow({
      flow: flow.id,
      updateVerificationFlowBody: { method: "code", code },
    });
    expect(messageIds(again)).toEqual([4070006]);
  });

  it("fetches flow by id", async () => {
    const { data: flow } = await app.frontend.createNativeVerificationFlow();
    const { data: fetched } = await app.frontend.getVerificationFlow({ id: flow.id });
    expect(fetched.id).toBe(flow.id);
    expect(fetched.type).toBe("api");
    expect(fetched.ui.action).toBe(`${app.publicUrl}/self-service/verification?flow=${flow.id}`);
  });

  it("rejects foreign return_to", async () => {
    const failure = await rejection(
      app.frontend.createNativeVerificationFlow({ returnTo: "https://evil.example/" }),
    );
    expect(failure.status).toBe(400);
    expect(failure.data.error.id).toBe("self_service_flow_return_to_forbidden");
  });

  it("returns 404 for unknown flow", async () => {
    const failure = await rejection(
      app.frontend.getVerificationFlow({ id: "00000000-0000-4000-8000-000000000000" }),
    );
    expect(failure.status).toBe(404);
    expect(failure.data.error.id).toBe("not_found");
  });
});
