import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../support/app.ts";
import {
  admin,
  countEvents,
  expectError,
  loginThroughPublicApi,
  publicApi,
  registerThroughPublicApi,
  startAdminTestApp,
} from "./support.ts";

let app: TestApp;
const email = "forget.me@example.com";
const password = "a long and unusual passphrase 42";
let identityId: string;
let sessionToken: string;

beforeAll(async () => {
  app = await startAdminTestApp("admin_erasure");
  ({ identityId, sessionToken } = await registerThroughPublicApi(app, email, password));
  const erased = await admin(app, "POST", `/admin/identities/${identityId}/erase`, {
    body: { reason: "data_subject_request" },
  });
  expect(erased.status, erased.text).toBe(204);
});

afterAll(async () => {
  await app?.close();
});

describe("POST /admin/identities/{id}/erase", () => {
  it("hides the identity from admin reads", async () => {
    expectError(await admin(app, "GET", `/admin/identities/${identityId}`), 404, "not_found");
    const byEmail = await admin(
      app,
      "GET",
      `/admin/identities?credentials_identifier=${encodeURIComponent(email)}`,
    );
    expect(byEmail.body).toEqual([]);
    const sessions = await admin(app, "GET", `/admin/identities/${identityId}/sessions`);
    expectError(sessions, 404, "not_found");
    const state = await admin(
      app,
      "GET",
      `/admin/identities/${identityId}/state?at=${encodeURIComponent(new Date().toISOString())}`,
    );
    expectError(state, 404, "not_found");
  });

  it("keeps the history with personal fields erased", async () => {
    const history = await admin(app, "GET", `/admin/identities/${identityId}/events`);
    expect(history.status, history.text).toBe(200);
    // biome-ignore lint/suspicious/noExplicitAny: history entries are JSON
    const byType = (type: string) => history.body.find((event: any) => event.type === type);
    expect(history.body[0].type).toBe("IdentityRegistered");
    expect(history.body.at(-1).type).toBe("IdentityErased");

    const registered = byType("IdentityRegistered");
    const issued = byType("SessionIssued");
    const revoked = byType("SessionRevoked");
    const erased = byType("IdentityErased");
    expect(registered.data.identityId).toBe(identityId);
    expect(registered.data.traits).toBe("[erased]");
    expect(registered.data.credentials).toBe("[erased]");
    expect(registered.data.verifiableAddresses).toBe("[erased]");
    expect(issued.data.device).toBe("[erased]");
    expect(registered.metadata.ip_address).toBe("[erased]");
    expect(registered.metadata.user_agent).toBe("[erased]");
    expect(revoked.data.reason).toBe("identity_erased");
    expect(erased.data.reason).toBe("data_subject_request");
    expect(JSON.stringify(history.body)).not.toContain(email);

    const chain = await admin(app, "GET", `/admin/identities/${identityId}/verify`);
    expect(chain.body.valid).toBe(true);
    expect(chain.body.checked).toBe(history.body.length);
  });

  it("ends the sessions and the password login", async () => {
    const whoami = await publicApi(app, "GET", "/sessions/whoami", {
      headers: { "X-Session-Token": sessionToken },
    });
    expect(whoami.status).toBe(401);
    const login = await loginThroughPublicApi(app, email, password);
    expect(login.status).toBe(400);
    expect(login.body.session_token).toBeUndefined();
  });

  it("releases the email for a new registration", async () => {
    const again = await registerThroughPublicApi(app, email, password);
    expect(again.identityId).not.toBe(identityId);
    const read = await admin(app, "GET", `/admin/identities/${again.identityId}`);
    expect(read.body.traits.email).toBe(email);
  });

  it("rejects a second erasure and bad reasons", async () => {
    const before = await countEvents(app);
    const twice = await admin(app, "POST", `/admin/identities/${identityId}/erase`, {
      body: { reason: "other" },
    });
    expectError(twice, 404, "not_found");

    const { identityId: other } = await registerThroughPublicApi(
      app,
      "other@example.com",
      password,
    );
    const afterRegistration = await countEvents(app);
    expect(afterRegistration).toBeGreaterThan(before);
    for (const body of [{}, { reason: "because" }, { reason: "other", extra: 1 }]) {
      const response = await admin(app, "POST", `/admin/identities/${other}/erase`, { body });
      expectError(response, 400, "bad_request");
    }
    expect(await countEvents(app)).toBe(afterRegistration);
  });
});
