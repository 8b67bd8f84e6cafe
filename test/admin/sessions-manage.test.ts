import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { IdentityApi, ManageSessionsBody } from "@ory/client";
import { isAxiosError } from "axios";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import {
  admin,
  countEvents,
  expectError,
  identityApiOf,
  loginThroughPublicApi,
  publicApi,
  registerThroughPublicApi,
} from "./support.ts";

let app: TestApp;
let identities: IdentityApi;
const password = "a long and unusual passphrase 42";
const sessionReaderKey = randomBytes(32).toString("base64url");
// Small enough that a handful of sessions spans several wildcard calls.
const batchSize = 2;

beforeAll(async () => {
  const sha256 = createHash("sha256").update(sessionReaderKey).digest("hex");
  app = await startTestApp("admin_sessions_manage", {
    ADMIN_API_KEYS: JSON.stringify([{ id: "session-reader", sha256, scopes: ["sessions:read"] }]),
    MANAGE_SESSIONS_BATCH_SIZE: String(batchSize),
  });
  identities = identityApiOf(app);
});

afterAll(async () => {
  await app?.close();
});

function whoami(token: string) {
  return publicApi(app, "GET", "/sessions/whoami", { headers: { "X-Session-Token": token } });
}

/** Registers an identity and signs it in until it has `count` sessions, with their tokens. */
async function identityWithSessions(
  email: string,
  count: number,
): Promise<{ identityId: string; tokens: string[] }> {
  const { identityId, sessionToken } = await registerThroughPublicApi(app, email, password);
  const tokens = [sessionToken];
  while (tokens.length < count) {
    const login = await loginThroughPublicApi(app, email, password);
    expect(login.status, login.text).toBe(200);
    tokens.push(login.body.session_token);
  }
  return { identityId, tokens };
}

async function sessionIdsOf(identityId: string, active?: boolean): Promise<string[]> {
  const listed = await identities.listIdentitySessions({ id: identityId, active });
  return listed.data.map((session) => session.id);
}

async function manage(body: ManageSessionsBody) {
  return identities.manageSessions({ manageSessionsBody: body });
}

describe("POST /admin/sessions", () => {
  it("disables sessions of listed identities", async () => {
    const target = await identityWithSessions("disable-target@example.com", 3);
    const bystander = await identityWithSessions("disable-bystander@example.com", 1);
    const [ended] = await sessionIdsOf(target.identityId);
    await identities.disableSession({ id: ended! });

    const response = await manage({
      action: "disable",
      identities: [target.identityId, randomUUID()],
    });
    expect(response.status).toBe(200);
    expect(response.data).toEqual({ processed: 2, more: false });

    for (const token of target.tokens) {
      expect((await whoami(token)).status).toBe(401);
    }
    expect((await whoami(bystander.tokens[0]!)).status).toBe(200);
    expect(await sessionIdsOf(target.identityId, true)).toEqual([]);

    const again = await manage({ action: "disable", identities: [target.identityId] });
    expect(again.data).toEqual({ processed: 0, more: false });
  });

  it("records revocations with admin actor", async () => {
    const { identityId } = await identityWithSessions("history@example.com", 2);
    const response = await manage({ action: "disable", identities: [identityId] });
    const requestId = response.headers["x-request-id"];
    expect(requestId).toBeTruthy();

    const history = await admin(app, "GET", `/admin/identities/${identityId}/events`);
    expect(history.status, history.text).toBe(200);
    const revocations = history.body.filter(
      (event: { type: string }) => event.type === "SessionRevoked",
    );
    expect(revocations).toHaveLength(2);
    for (const event of revocations) {
      expect(event.data.reason).toBe("revoked_by_admin");
      expect(event.metadata.actor).toMatchObject({ type: "admin", id: "bootstrap" });
      expect(event.metadata.correlation_id).toBe(requestId);
    }
  });

  it("deletes and counts ended sessions", async () => {
    const { identityId, tokens } = await identityWithSessions("delete-target@example.com", 3);
    const [ended] = await sessionIdsOf(identityId);
    await identities.disableSession({ id: ended! });

    const response = await manage({ action: "delete", identities: [identityId] });
    expect(response.data).toEqual({ processed: 3, more: false });
    for (const token of tokens) {
      expect((await whoami(token)).status).toBe(401);
    }
    // Events are never deleted, so the sessions stay listed as inactive.
    expect(await sessionIdsOf(identityId, false)).toHaveLength(3);
  });

  it("disables listed sessions only", async () => {
    const first = await identityWithSessions("sessions-first@example.com", 2);
    const second = await identityWithSessions("sessions-second@example.com", 1);
    const [firstNewest, firstOldest] = await sessionIdsOf(first.identityId);
    const [secondOnly] = await sessionIdsOf(second.identityId);

    const response = await manage({
      action: "disable",
      sessions: [firstNewest!, secondOnly!.toUpperCase(), secondOnly!, randomUUID()],
    });
    expect(response.data).toEqual({ processed: 2, more: false });
    expect(await sessionIdsOf(first.identityId, true)).toEqual([firstOldest]);
    expect(await sessionIdsOf(second.identityId, true)).toEqual([]);
    expect((await whoami(second.tokens[0]!)).status).toBe(401);
    expect((await whoami(first.tokens[0]!)).status).toBe(200);

    const disabledAgain = await manage({ action: "disable", sessions: [firstNewest!] });
    expect(disabledAgain.data).toEqual({ processed: 0, more: false });
    const deleted = await manage({ action: "delete", sessions: [firstNewest!, firstOldest!] });
    expect(deleted.data).toEqual({ processed: 2, more: false });
    expect((await whoami(first.tokens[0]!)).status).toBe(401);
  });

  it("drains every session by wildcard", async () => {
    const created = [
      await identityWithSessions("wildcard-one@example.com", 2),
      await identityWithSessions("wildcard-two@example.com", 3),
    ];
    const activeBefore = (await identities.listSessions({ active: true, pageSize: 1000 })).data;
    expect(activeBefore.length).toBeGreaterThan(batchSize);

    const first = await manage({ action: "disable", identities: ["*"] });
    expect(first.data).toEqual({ processed: batchSize, more: true });

    let processed = batchSize;
    let more = first.data.more;
    for (let call = 0; more && call < activeBefore.length; call += 1) {
      const next = await manage({ action: "disable", identities: ["*"] });
      expect(next.data.processed).toBeGreaterThan(0);
      expect(next.data.processed).toBeLessThanOrEqual(batchSize);
      processed += next.data.processed ?? 0;
      more = next.data.more;
    }
    expect(more).toBe(false);
    expect(processed).toBe(activeBefore.length);

    const activeAfter = await identities.listSessions({ active: true });
    expect(activeAfter.data).toEqual([]);
    for (const token of created.flatMap((identity) => identity.tokens)) {
      expect((await whoami(token)).status).toBe(401);
    }
    const drained = await manage({ action: "delete", identities: ["*"] });
    expect(drained.data).toEqual({ processed: 0, more: false });
  });

  it("rejects invalid bodies", async () => {
    const id = randomUUID();
    const tooMany = Array.from({ length: 501 }, () => randomUUID());
    const bodies: { label: string; body: unknown }[] = [
      { label: "non-uuid identity", body: { action: "disable", identities: ["not-a-uuid"] } },
      { label: "non-uuid session", body: { action: "disable", sessions: [`${id}x`] } },
      { label: "both lists", body: { action: "disable", identities: [id], sessions: [id] } },
      { label: "neither list", body: { action: "disable" } },
      { label: "empty identities", body: { action: "disable", identities: [] } },
      { label: "empty sessions", body: { action: "delete", sessions: [] } },
      { label: "wildcard session", body: { action: "disable", sessions: ["*"] } },
      { label: "wildcard before id", body: { action: "disable", identities: ["*", id] } },
      { label: "wildcard after id", body: { action: "delete", identities: [id, "*"] } },
      { label: "repeated wildcard", body: { action: "delete", identities: ["*", "*"] } },
      { label: "unknown action", body: { action: "purge", identities: [id] } },
      { label: "missing action", body: { identities: [id] } },
      { label: "unknown field", body: { action: "disable", identities: [id], force: true } },
      { label: "too many ids", body: { action: "disable", identities: tooMany } },
      { label: "identities string", body: { action: "disable", identities: id } },
      { label: "number id", body: { action: "disable", sessions: [42] } },
      { label: "array body", body: [{ action: "disable", identities: [id] }] },
    ];
    const eventsBefore = await countEvents(app);
    for (const { label, body } of bodies) {
      const response = await admin(app, "POST", "/admin/sessions", { body });
      expect(response.status, label).toBe(400);
      expectError(response, 400, "bad_request");
    }
    expect(await countEvents(app)).toBe(eventsBefore);
  });

  it("rejects wildcard sessions through the SDK", async () => {
    try {
      await manage({ action: "disable", sessions: ["*"] });
      expect.unreachable("the wildcard in sessions was accepted");
    } catch (error) {
      if (!isAxiosError(error)) throw error;
      expect(error.response?.status).toBe(400);
      expect(error.response?.data.error.id).toBe("bad_request");
      const message = error.response?.data.error.message;
      expect(message).toContain('sessions.0 must be a UUID, because the wildcard "*"');
    }
  });

  it("requires the sessions:write scope", async () => {
    const body = { action: "disable", identities: ["*"] };
    expectError(
      await admin(app, "POST", "/admin/sessions", { body, key: null }),
      401,
      "unauthorized",
    );
    const reader = await admin(app, "POST", "/admin/sessions", { body, key: sessionReaderKey });
    expectError(reader, 403, "forbidden");
  });
});
