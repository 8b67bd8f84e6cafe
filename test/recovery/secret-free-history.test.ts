import { createHash, randomBytes } from "node:crypto";
import type { RecoveryFlow } from "@ory/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { identityStreamId } from "../../src/domain/identity/index.ts";
import { codeOf, type FlowTestApp, jsonOf, linkOf, startFlowTestApp } from "./harness.ts";

let app: FlowTestApp;
const auditKey = randomBytes(32).toString("base64url");
const email = "hana@example.com";
let identityId: string;
let code: string;
let linkToken: string;
let codeFlow: RecoveryFlow;

beforeAll(async () => {
  const sha256 = createHash("sha256").update(auditKey).digest("hex");
  app = await startFlowTestApp("recovery_history", {
    env: { ADMIN_API_KEYS: JSON.stringify([{ id: "auditor", sha256, scopes: ["audit:read"] }]) },
  });

  const { data: registration } = await app.frontend.createNativeRegistrationFlow();
  const { data: registered } = await app.frontend.updateRegistrationFlow({
    flow: registration.id,
    updateRegistrationFlowBody: {
      method: "password",
      traits: { email },
      password: "correct horse battery staple 42",
    },
  });
  identityId = registered.identity.id;
  await app.waitForMail(email);

  codeFlow = await requestRecovery("code");
  code = codeOf(await app.waitForMail(email, 1));
  await requestRecovery("link");
  linkToken = linkOf(await app.waitForMail(email, 2)).searchParams.get("token")!;
});

afterAll(async () => {
  await app?.close();
});

async function requestRecovery(method: "code" | "link"): Promise<RecoveryFlow> {
  const { data: flow } = await app.frontend.createNativeRecoveryFlow();
  const { data: sent } = await app.frontend.updateRecoveryFlow({
    flow: flow.id,
    updateRecoveryFlowBody: { method, email },
  });
  return sent;
}

async function flowSecretCount(flowId: string): Promise<number> {
  const { rows } = await app.database.pool.query<{ count: number }>(
    "SELECT count(*)::int AS count FROM courier_secrets WHERE flow_id = $1",
    [flowId],
  );
  return rows[0]!.count;
}

/** Collects every string in a JSON value, so a test can look for six-digit codes. */
function stringsOf(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  if (value !== null && typeof value === "object") return Object.values(value).flatMap(stringsOf);
  return [];
}

describe("recovery secrets outside the event log", () => {
  it("keeps codes and links out of the decrypted history", async () => {
    const { store, personalData } = app.running.registrar;
    const events = await personalData.codec.decryptEvents(
      await store.readStream(identityStreamId(identityId)),
    );
    const requests = events.filter((event) => event.type === "RecoveryMessageRequested");
    expect(requests).toHaveLength(2);

    const text = JSON.stringify(events);
    expect(code).toMatch(/^\d{6}$/);
    expect(text).not.toContain(code);
    expect(linkToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(text).not.toContain(linkToken);
    expect(text).not.toContain("token=");
    expect(stringsOf(events.map((event) => event.data)).filter((s) => /^\d{6}$/.test(s))).toEqual(
      [],
    );
    for (const request of requests) {
      expect(Object.keys(request.data as object).sort()).toEqual(
        [
          "address",
          "addressId",
          "expiresAt",
          "flowId",
          "identityId",
          "messageId",
          "requestedAt",
          "template",
          "via",
        ].sort(),
      );
      expect((request.data as { address: string }).address).toBe(email);
    }
  });

  it("never shows them in the admin history", async () => {
    const response = await fetch(`${app.adminUrl}/admin/identities/${identityId}/events`, {
      headers: { Authorization: `Bearer ${auditKey}` },
    });
    expect(response.status).toBe(200);
    const history = await jsonOf(response);

    const text = JSON.stringify(history);
    expect(text).not.toContain(code);
    expect(text).not.toContain(linkToken);
    expect(text).not.toContain("token=");
    const requests = history.filter(
      (event: { type: string }) => event.type === "RecoveryMessageRequested",
    );
    expect(requests).toHaveLength(2);
    for (const request of requests) {
      expect(request.data.address).toBe(email);
      expect(request.data).not.toHaveProperty("code");
      expect(request.data).not.toHaveProperty("link");
    }
  });

  it("stores the code encrypted until it is used", async () => {
    const { rows } = await app.database.pool.query<{ secret: string; identity_id: string }>(
      "SELECT secret, identity_id FROM courier_secrets WHERE flow_id = $1",
      [codeFlow.id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.identity_id).toBe(identityId);
    expect(rows[0]!.secret.startsWith("pd1.")).toBe(true);
    expect(rows[0]!.secret).not.toContain(code);

    const { data: passed } = await app.frontend.updateRecoveryFlow({
      flow: codeFlow.id,
      updateRecoveryFlowBody: { method: "code", code },
    });
    expect(passed.state).toBe("passed_challenge");
    expect(await flowSecretCount(codeFlow.id)).toBe(0);
  });

  it("deletes the replaced code's secret", async () => {
    const first = await requestRecovery("code");
    expect(await flowSecretCount(first.id)).toBe(1);
    const { rows: before } = await app.database.pool.query<{ message_id: string }>(
      "SELECT message_id FROM courier_secrets WHERE flow_id = $1",
      [first.id],
    );

    await app.frontend.updateRecoveryFlow({
      flow: first.id,
      updateRecoveryFlowBody: { method: "code", email },
    });
    const { rows: after } = await app.database.pool.query<{ message_id: string }>(
      "SELECT message_id FROM courier_secrets WHERE flow_id = $1",
      [first.id],
    );
    expect(after).toHaveLength(1);
    expect(after[0]!.message_id).not.toBe(before[0]!.message_id);
  });

  it("deletes the secret of an invalidated flow", async () => {
    const mailsBefore = app.mailCount(email);
    const sent = await requestRecovery("code");
    expect(await flowSecretCount(sent.id)).toBe(1);
    const sentCode = codeOf(await app.waitForMail(email, mailsBefore));
    const wrong = sentCode === "123456" ? "654321" : "123456";

    for (let attempt = 0; attempt < 5; attempt += 1) {
      await app.frontend
        .updateRecoveryFlow({
          flow: sent.id,
          updateRecoveryFlowBody: { method: "code", code: wrong },
        })
        .catch(() => undefined);
    }
    expect(await flowSecretCount(sent.id)).toBe(0);
  });
});
