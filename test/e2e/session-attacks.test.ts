import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { eventually } from "../support/eventually.ts";
import {
  adminCall,
  codeOf,
  continueWithToken,
  countEvents,
  expectErrorEnvelope,
  forgedToken,
  goodPassword,
  login,
  publicCall,
  type Registered,
  register,
  send,
  settledEventCount,
  waitForMail,
} from "./support.ts";

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp("e2e_session_attacks", {
    LOGIN_ATTEMPTS_PER_IDENTIFIER: "1000",
    LOGIN_ATTEMPTS_PER_IP: "100000",
    COURIER_SENDS_PER_IP: "1000",
  });
});

afterAll(async () => {
  await app?.close();
});

/** Signs in `email` with the good password and returns the new session token. */
async function signIn(email: string, headers: Record<string, string> = {}): Promise<string> {
  const reply = await login(app, email, goodPassword, { headers });
  expect(reply.status, `login of ${email}: ${reply.text.slice(0, 200)}`).toBe(200);
  return reply.body.session_token;
}

async function whoamiStatus(token: string): Promise<number> {
  return (await publicCall(app, "GET", "/sessions/whoami", { token })).status;
}

/** Asserts that every session route rejects `token`, as a revoked or expired one must be. */
async function expectTokenDead(token: string, label: string): Promise<void> {
  // Revocation reaches whoami within one second: the projection's lag plus a 500 ms cache.
  await eventually(async () => expect(await whoamiStatus(token), label).toBe(401), 1_000);
  for (const [method, path] of [
    ["GET", "/sessions/whoami"],
    ["GET", "/sessions"],
    ["DELETE", "/sessions"],
    ["GET", "/self-service/settings/api"],
  ] as const) {
    const reply = await publicCall(app, method, path, { token });
    expectErrorEnvelope(reply, 401, "session_inactive", `${label}: ${method} ${path}`);
  }
  const logout = await publicCall(app, "DELETE", "/self-service/logout/api", {
    json: { session_token: token },
  });
  expectErrorEnvelope(logout, 403, "forbidden", `${label}: logout`);
  const loginInit = await publicCall(app, "GET", "/self-service/login/api", { token });
  expect(loginInit.status, `${label}: login init ignores the dead token`).toBe(200);
}

describe("session fixation", () => {
  it("ignores client-chosen tokens", async () => {
    const chosen = forgedToken();
    const headers = { "X-Session-Token": chosen };

    const flow = await publicCall(app, "GET", "/self-service/registration/api", { headers });
    const registered = await publicCall(
      app,
      "POST",
      `/self-service/registration?flow=${flow.body.id}`,
      {
        headers,
        json: { method: "password", password: goodPassword, traits: { email: "fix@example.com" } },
      },
    );
    expect(registered.status, registered.text.slice(0, 200)).toBe(200);
    expect(registered.body.session_token, "registration token").not.toBe(chosen);

    const loggedIn = await login(app, "fix@example.com", goodPassword, { headers });
    expect(loggedIn.status, loggedIn.text.slice(0, 200)).toBe(200);
    expect(loggedIn.body.session_token, "login token").not.toBe(chosen);

    const recovery = await publicCall(app, "GET", "/self-service/recovery/api", { headers });
    await publicCall(app, "POST", `/self-service/recovery?flow=${recovery.body.id}`, {
      headers,
      json: { method: "code", email: "fix@example.com" },
    });
    const code = codeOf(await waitForMail(app, "fix@example.com", 0, /recovery/i));
    const recovered = await publicCall(
      app,
      "POST",
      `/self-service/recovery?flow=${recovery.body.id}`,
      {
        headers,
        json: { method: "code", code },
      },
    );
    expect(recovered.status, recovered.text.slice(0, 200)).toBe(200);
    const recoveryToken = continueWithToken(recovered.body);
    expect(recoveryToken, "recovery issues a token").toBeTruthy();
    expect(recoveryToken, "recovery token").not.toBe(chosen);

    expect(await whoamiStatus(chosen), "the chosen token stays invalid").toBe(401);
  });

  it("issues a new session per login", async () => {
    const registered = await register(app, "twice@example.com");
    const first = await signIn("twice@example.com");
    const second = await signIn("twice@example.com");
    const tokens = new Set([registered.token, first, second]);
    expect(tokens.size, "three distinct tokens").toBe(3);

    const sessionIds = new Set<string>();
    for (const token of tokens) {
      const whoami = await publicCall(app, "GET", "/sessions/whoami", { token });
      expect(whoami.status, "each token works").toBe(200);
      sessionIds.add(whoami.body.id);
    }
    expect(sessionIds.size, "three distinct sessions").toBe(3);
  });
});

describe("admin API exposure", () => {
  it("keeps admin routes off public port", async () => {
    for (const path of ["/admin/identities", "/admin/sessions", "/admin/courier/messages"]) {
      const reply = await publicCall(app, "GET", path, {
        headers: { Authorization: `Bearer ${app.adminKey}` },
      });
      expectErrorEnvelope(reply, 404, "not_found", `public GET ${path}`);
    }
  });

  it("rejects session tokens on admin port", async () => {
    const { token } = await register(app, "sneaky@example.com");
    const attempts: Record<string, string>[] = [
      { Authorization: `Bearer ${token}` },
      { "X-Session-Token": token },
    ];
    for (const headers of attempts) {
      const reply = await send(app.adminUrl, "GET", "/admin/identities", { headers });
      expectErrorEnvelope(reply, 401, "unauthorized", `admin with ${Object.keys(headers)[0]}`);
    }
  });
});

describe("revoked and foreign sessions", () => {
  let alice: Registered;
  let bob: Registered;

  beforeAll(async () => {
    alice = await register(app, "alice@example.com");
    bob = await register(app, "bob@example.com");
  });

  it("rejects token after logout", async () => {
    const token = await signIn("alice@example.com");
    const logout = await publicCall(app, "DELETE", "/self-service/logout/api", {
      json: { session_token: token },
    });
    expect(logout.status, logout.text.slice(0, 200)).toBe(204);
    expect(await whoamiStatus(token), "whoami right after logout").toBe(401);
    await expectTokenDead(token, "logged out");
  });

  it("rejects token revoked by sibling", async () => {
    const victim = await signIn("alice@example.com");
    const victimId = (await publicCall(app, "GET", "/sessions/whoami", { token: victim })).body.id;
    const revoke = await publicCall(app, "DELETE", `/sessions/${victimId}`, { token: alice.token });
    expect(revoke.status, revoke.text.slice(0, 200)).toBe(204);
    await expectTokenDead(victim, "revoked by its sibling");
  });

  it("rejects tokens revoked together", async () => {
    const others = [await signIn("alice@example.com"), await signIn("alice@example.com")];
    const revoke = await publicCall(app, "DELETE", "/sessions", { token: alice.token });
    expect(revoke.status, revoke.text.slice(0, 200)).toBe(200);
    expect(revoke.body.count, "revoked sessions").toBeGreaterThanOrEqual(2);
    for (const [index, token] of others.entries()) await expectTokenDead(token, `other ${index}`);
    expect(await whoamiStatus(alice.token), "the caller's own session stays").toBe(200);
  });

  it("rejects token revoked by admin", async () => {
    const token = await signIn("bob@example.com");
    const sessionId = (await publicCall(app, "GET", "/sessions/whoami", { token })).body.id;
    const revoke = await adminCall(app, "DELETE", `/admin/sessions/${sessionId}`);
    expect(revoke.status, revoke.text.slice(0, 200)).toBe(204);
    await expectTokenDead(token, "revoked by admin");
  });

  it("rejects tokens of deactivated identity", async () => {
    const mallory = await register(app, "mallory@example.com");
    const patch = await adminCall(app, "PATCH", `/admin/identities/${mallory.identityId}`, {
      json: [{ op: "replace", path: "/state", value: "inactive" }],
    });
    expect(patch.status, patch.text.slice(0, 200)).toBe(200);
    await expectTokenDead(mallory.token, "deactivated identity");
  });

  it("rejects revoking foreign session", async () => {
    const eventsBefore = await settledEventCount(app);
    const attempt = await publicCall(app, "DELETE", `/sessions/${alice.sessionId}`, {
      token: bob.token,
    });
    expectErrorEnvelope(attempt, 404, "not_found", "bob revokes alice's session");
    expect(await whoamiStatus(alice.token), "alice's session stays").toBe(200);

    const bobsList = await publicCall(app, "GET", "/sessions", { token: bob.token });
    expect(bobsList.status, bobsList.text.slice(0, 200)).toBe(200);
    const listed = bobsList.body.map((session: { id: string }) => session.id);
    expect(listed, "bob's list hides alice's session").not.toContain(alice.sessionId);

    const revokeOthers = await publicCall(app, "DELETE", "/sessions", { token: bob.token });
    expect(revokeOthers.status, revokeOthers.text.slice(0, 200)).toBe(200);
    expect(await whoamiStatus(alice.token), "bob's revoke-all spares alice").toBe(200);
    const events = await countEvents(app);
    expect(events - eventsBefore, "only bob's own revocations were appended").toBe(
      revokeOthers.body.count,
    );
  });

  it("rejects foreign settings flow", async () => {
    const flow = await publicCall(app, "GET", "/self-service/settings/api", { token: alice.token });
    expect(flow.status, flow.text.slice(0, 200)).toBe(200);
    const eventsBefore = await settledEventCount(app);
    const path = `/self-service/settings?flow=${flow.body.id}`;

    const read = await publicCall(app, "GET", `/self-service/settings/flows?id=${flow.body.id}`, {
      token: bob.token,
    });
    expectErrorEnvelope(read, 403, "security_identity_mismatch", "bob reads alice's flow");
    expect(read.text, "the response hides alice's address").not.toContain("alice@example.com");

    const password = await publicCall(app, "POST", path, {
      token: bob.token,
      json: { method: "password", password: "bob now owns alice 4321" },
    });
    expectErrorEnvelope(password, 403, "security_identity_mismatch", "bob sets alice's password");

    const profile = await publicCall(app, "POST", path, {
      token: bob.token,
      json: { method: "profile", traits: { email: "bob-owns-alice@example.com" } },
    });
    expectErrorEnvelope(profile, 403, "security_identity_mismatch", "bob sets alice's traits");

    const anonymous = await publicCall(app, "POST", path, {
      json: { method: "password", password: "nobody owns alice 4321" },
    });
    expectErrorEnvelope(anonymous, 401, "session_inactive", "no session sets alice's password");

    expect(await countEvents(app), "no event for the foreign flow").toBe(eventsBefore);
    const aliceLogin = await login(app, "alice@example.com", goodPassword);
    expect(aliceLogin.status, "alice keeps her password").toBe(200);
  });
});
