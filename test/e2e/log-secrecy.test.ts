import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import {
  adminCall,
  codeOf,
  continueWithToken,
  forgedToken,
  linkOf,
  login,
  publicCall,
  type Reply,
  register,
  type SendOptions,
  waitForMail,
} from "./support.ts";

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp("e2e_log_secrecy");
});

afterAll(async () => {
  await app?.close();
});

const email = "secretive@example.com";
const firstPassword = "first hidden passphrase 7781";
const secondPassword = "second hidden passphrase 9924";
const wrongPassword = "wrong hidden passphrase 5519";

/** Every secret the scenario used or received, by what it is. */
const secrets = new Map<string, string>();

function remember(label: string, value: unknown): string {
  if (typeof value !== "string" || value === "") throw new Error(`no ${label} to remember`);
  secrets.set(label, value);
  return value;
}

/** Sends to the public port and remembers any cookie the response sets. */
async function call(method: string, path: string, options?: SendOptions): Promise<Reply> {
  return rememberCookies(await publicCall(app, method, path, options));
}

async function admin(method: string, path: string, options?: SendOptions): Promise<Reply> {
  return rememberCookies(await adminCall(app, method, path, options));
}

function rememberCookies(reply: Reply): Reply {
  for (const cookie of reply.headers["set-cookie"] ?? []) {
    const value = cookie.split(";")[0]?.split("=").slice(1).join("=");
    if (value) remember(`cookie ${cookie.split("=")[0]}`, value);
  }
  return reply;
}

function expectStatus(reply: Reply, status: number, step: string): void {
  expect(reply.status, `${step}: ${reply.text.slice(0, 300)}`).toBe(status);
}

/** Finds a secret in a log line; short numeric codes must stand alone, not inside an id. */
function appearsIn(line: string, secret: string): boolean {
  if (!/^\d{1,8}$/.test(secret)) return line.includes(secret);
  return new RegExp(`(?<![0-9A-Za-z])${secret}(?![0-9A-Za-z])`).test(line);
}

async function runScenario(): Promise<string> {
  remember("admin API key", app.adminKey);
  remember("first password", firstPassword);
  remember("second password", secondPassword);
  remember("wrong password", wrongPassword);

  const registered = await register(app, email, firstPassword);
  const identityId = registered.identityId;
  const firstToken = remember("registration session token", registered.token);

  const verification = registered.body.continue_with.find(
    (item: { action: string }) => item.action === "show_verification_ui",
  );
  const verificationCode = remember(
    "verification code",
    codeOf(await waitForMail(app, email, 0, /verification/i)),
  );
  const verified = await call("POST", `/self-service/verification?flow=${verification.flow.id}`, {
    json: { method: "code", code: verificationCode },
  });
  expectStatus(verified, 200, "verification");
  expect(verified.body.state, "verification passes").toBe("passed_challenge");

  expectStatus(await call("GET", "/sessions/whoami", { token: firstToken }), 200, "whoami");
  const byBearer = await call("GET", "/sessions/whoami", {
    headers: { Authorization: `Bearer ${firstToken}` },
  });
  expectStatus(byBearer, 200, "whoami by bearer");
  const byCookie = await call("GET", "/sessions/whoami", {
    headers: { Cookie: `ory_kratos_session=${firstToken}` },
  });
  expectStatus(byCookie, 200, "whoami by cookie");
  const forged = remember("forged session token", forgedToken());
  expectStatus(await call("GET", "/sessions/whoami", { token: forged }), 401, "forged whoami");

  const logout = await call("DELETE", "/self-service/logout/api", {
    json: { session_token: firstToken },
  });
  expectStatus(logout, 204, "logout");

  expectStatus(await login(app, email, wrongPassword), 400, "wrong password");
  const loggedIn = await login(app, email, firstPassword);
  expectStatus(loggedIn, 200, "login");
  const loginToken = remember("login session token", loggedIn.body.session_token);

  const settings = await call("GET", "/self-service/settings/api", { token: loginToken });
  expectStatus(settings, 200, "settings flow");
  const changed = await call("POST", `/self-service/settings?flow=${settings.body.id}`, {
    token: loginToken,
    json: { method: "password", password: secondPassword },
  });
  expectStatus(changed, 200, "password change");

  const recovery = await call("GET", "/self-service/recovery/api");
  const sent = await call("POST", `/self-service/recovery?flow=${recovery.body.id}`, {
    json: { method: "code", email },
  });
  expectStatus(sent, 200, "recovery code request");
  const recoveryCode = remember(
    "recovery code",
    codeOf(await waitForMail(app, email, 0, /recovery/i)),
  );
  const recovered = await call("POST", `/self-service/recovery?flow=${recovery.body.id}`, {
    json: { method: "code", code: recoveryCode },
  });
  expectStatus(recovered, 200, "recovery by code");
  remember("recovery session token", continueWithToken(recovered.body));

  const adminCode = await admin("POST", "/admin/recovery/code", {
    json: { identity_id: identityId },
  });
  expectStatus(adminCode, 201, "admin recovery code");
  const adminRecoveryCode = remember("admin recovery code", adminCode.body.recovery_code);
  const codeFlow = new URL(adminCode.body.recovery_link);
  const byAdminCode = await call("POST", `${codeFlow.pathname}${codeFlow.search}`, {
    json: { method: "code", code: adminRecoveryCode },
  });
  expectStatus(byAdminCode, 200, "recovery by admin code");
  remember("admin code session token", continueWithToken(byAdminCode.body));

  const adminLink = await admin("POST", "/admin/recovery/link", {
    json: { identity_id: identityId },
  });
  expectStatus(adminLink, 200, "admin recovery link");
  const link = linkOf(adminLink.body.recovery_link);
  remember("recovery link token", link.searchParams.get("token"));
  const byLink = await call("GET", `${link.pathname}${link.search}`);
  expectStatus(byLink, 200, "recovery by link");
  remember("link session token", continueWithToken(byLink.body));

  for (const path of [
    "/admin/identities",
    `/admin/identities/${identityId}`,
    `/admin/identities/${identityId}/sessions`,
    `/admin/identities/${identityId}/events`,
    "/admin/courier/messages",
  ]) {
    expectStatus(await admin("GET", path), 200, `admin GET ${path}`);
  }
  const wrongKey = remember("wrong admin API key", forgedToken());
  const rejected = await adminCall(app, "GET", "/admin/identities", {
    headers: { Authorization: `Bearer ${wrongKey}` },
  });
  expectStatus(rejected, 401, "admin call with a wrong key");

  const finalLogin = await login(app, email, secondPassword);
  expectStatus(finalLogin, 200, "login with the new password");
  remember("final session token", finalLogin.body.session_token);
  return identityId;
}

describe("log secrecy", () => {
  it("logs no secret of a full scenario", async () => {
    const identityId = await runScenario();
    // The courier worker logs after the last mail; give its lines time to arrive.
    await sleep(500);

    const lines = app.logs;
    expect(lines.length, "the app logged the scenario").toBeGreaterThan(30);
    expect(
      lines.some((line) => line.includes('"path":"/self-service/login"')),
      "the access log has the login requests",
    ).toBe(true);
    expect(
      lines.some((line) => line.includes(identityId)),
      "some line names the identity by id",
    ).toBe(true);
    expect(secrets.size, "secrets collected").toBeGreaterThanOrEqual(16);

    for (const [label, secret] of secrets) {
      const leaks = lines.filter((line) => appearsIn(line, secret));
      expect(leaks, `${label} appears in the logs`).toEqual([]);
    }
  });
});
