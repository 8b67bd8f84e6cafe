import type { AxiosError } from "axios";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FlowJson, messageIds, startTestApp, type TestApp } from "./support.ts";

/** Kratos's error envelope, as far as the tests read it. */
interface ErrorBody {
  error: { id: string; code: number };
}

// Drives the native flows with the unmodified @ory/client SDK, as a mobile app would.
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp("sdk_flows");
});

afterAll(async () => {
  await app?.stop();
});

/** Returns the status and JSON body of a rejected SDK call. */
async function rejection(
  call: Promise<unknown>,
): Promise<{ status: number; data: ErrorBody & FlowJson }> {
  try {
    await call;
  } catch (error) {
    const response = (error as AxiosError).response;
    if (response) return { status: response.status, data: response.data as ErrorBody & FlowJson };
    throw error;
  }
  throw new Error("the call succeeded, but a rejection was expected");
}

async function sdkRegister(email: string, password: string) {
  const { frontend } = app;
  const { data: flow } = await frontend.createNativeRegistrationFlow();
  const { data } = await frontend.updateRegistrationFlow({
    flow: flow.id,
    updateRegistrationFlowBody: { method: "password", password, traits: { email } },
  });
  return data;
}

async function sdkLogin(identifier: string, password: string) {
  const { frontend } = app;
  const { data: flow } = await frontend.createNativeLoginFlow();
  return frontend.updateLoginFlow({
    flow: flow.id,
    updateLoginFlowBody: { method: "password", identifier, password },
  });
}

describe("native flows through @ory/client", () => {
  const email = "sdk.user@example.com";
  const firstPassword = "correct horse battery staple 41";
  const secondPassword = "a brand new passphrase for 2026";

  it("runs registration, whoami, logout, login and a password change", async () => {
    const { frontend } = app;

    const registered = await sdkRegister(email, firstPassword);
    expect(registered.session_token).toMatch(/^rgst_/);
    expect(registered.identity?.traits).toEqual({ email });

    const { data: whoami } = await frontend.toSession({ xSessionToken: registered.session_token });
    expect(whoami.active).toBe(true);
    expect(whoami.identity?.id).toBe(registered.identity?.id);
    expect(whoami.identity?.schema_id).toBe("default");
    expect(whoami.identity?.schema_url).toBe(`${app.baseUrl}/schemas/ZGVmYXVsdA`);
    expect(whoami.identity?.verifiable_addresses?.[0]?.value).toBe(email);
    expect(whoami.authentication_methods?.[0]?.method).toBe("password");
    expect(whoami.authenticator_assurance_level).toBe("aal1");
    expect(whoami.identity).not.toHaveProperty("credentials");

    await frontend.performNativeLogout({
      performNativeLogoutBody: { session_token: registered.session_token! },
    });
    const loggedOut = await rejection(
      frontend.toSession({ xSessionToken: registered.session_token }),
    );
    expect(loggedOut.status).toBe(401);
    expect(loggedOut.data.error.id).toBe("session_inactive");

    const { data: login } = await sdkLogin(`  ${email.toUpperCase()} `, firstPassword);
    expect(login.session_token).toMatch(/^rgst_/);
    expect(login.session.identity?.id).toBe(registered.identity?.id);
    expect(login.continue_with).toEqual([
      { action: "set_ory_session_token", ory_session_token: login.session_token },
    ]);

    const { data: settings } = await frontend.createNativeSettingsFlow({
      xSessionToken: login.session_token,
    });
    expect(settings.state).toBe("show_form");
    expect(settings.identity.id).toBe(registered.identity?.id);

    const { data: changed } = await frontend.updateSettingsFlow({
      flow: settings.id,
      xSessionToken: login.session_token,
      updateSettingsFlowBody: { method: "password", password: secondPassword },
    });
    expect(changed.state).toBe("success");
    expect(changed.ui.messages?.map((message) => message.id)).toEqual([1050001]);

    const { data: stillSignedIn } = await frontend.toSession({
      xSessionToken: login.session_token,
    });
    expect(stillSignedIn.id).toBe(login.session.id);

    const oldPassword = await rejection(sdkLogin(email, firstPassword));
    expect(oldPassword.status).toBe(400);
    expect(messageIds(oldPassword.data.ui.messages)).toEqual([4000006]);

    const { data: newLogin } = await sdkLogin(email, secondPassword);
    expect(newLogin.session.identity?.id).toBe(registered.identity?.id);
  });

  it("rejects a login flow while signed in", async () => {
    const registered = await sdkRegister("signed.in@example.com", firstPassword);
    const answer = await rejection(
      app.frontend.createNativeLoginFlow({ xSessionToken: registered.session_token }),
    );
    expect(answer.status).toBe(400);
    expect(answer.data.error.id).toBe("session_already_available");
  });

  it("refresh login replaces the session", async () => {
    const registered = await sdkRegister("refresh.user@example.com", firstPassword);
    const token = registered.session_token!;
    const { data: flow } = await app.frontend.createNativeLoginFlow({
      refresh: true,
      xSessionToken: token,
    });
    expect(flow.refresh).toBe(true);
    expect(flow.ui.messages?.map((message) => message.id)).toEqual([1010003]);
    const identifier = flow.ui.nodes.find(
      (node) => "name" in node.attributes && node.attributes.name === "identifier",
    );
    expect(identifier?.attributes).toMatchObject({
      type: "hidden",
      value: "refresh.user@example.com",
    });

    const { data: refreshed } = await app.frontend.updateLoginFlow({
      flow: flow.id,
      xSessionToken: token,
      updateLoginFlowBody: {
        method: "password",
        identifier: "refresh.user@example.com",
        password: firstPassword,
      },
    });
    expect(refreshed.session_token).not.toBe(token);
    expect(refreshed.session.authentication_methods?.map((method) => method.method)).toEqual([
      "password",
      "password",
    ]);
    const old = await rejection(app.frontend.toSession({ xSessionToken: token }));
    expect(old.status).toBe(401);
  });
});

describe("session management", () => {
  it("revokes the other sessions and keeps the caller's", async () => {
    const password = "sessions are listed and revoked 7";
    const registered = await sdkRegister("sessions.user@example.com", password);
    const second = (await sdkLogin("sessions.user@example.com", password)).data;
    const third = (await sdkLogin("sessions.user@example.com", password)).data;

    const { data: others } = await app.frontend.listMySessions({
      xSessionToken: registered.session_token,
    });
    expect(others.map((session) => session.id).sort()).toEqual(
      [second.session.id, third.session.id].sort(),
    );

    const firstPage = await app.frontend.listMySessions({
      xSessionToken: registered.session_token,
      pageSize: 1,
    });
    expect(firstPage.data).toHaveLength(1);
    const next = /<([^>]+)>; rel="next"/.exec(String(firstPage.headers.link))?.[1];
    const pageToken = new URL(next!, "http://127.0.0.1").searchParams.get("page_token")!;
    const secondPage = await app.frontend.listMySessions({
      xSessionToken: registered.session_token,
      pageSize: 1,
      pageToken,
    });
    expect(secondPage.data).toHaveLength(1);
    expect(secondPage.headers.link).toBeUndefined();
    const stranger = await sdkRegister("sessions.stranger@example.com", password);
    const foreign = await rejection(
      app.frontend.listMySessions({ xSessionToken: stranger.session_token, pageToken }),
    );
    expect(foreign.status).toBe(400);
    expect([firstPage.data[0]!.id, secondPage.data[0]!.id]).toEqual(
      others.map((session) => session.id),
    );

    const { data: revoked } = await app.frontend.disableMyOtherSessions({
      xSessionToken: registered.session_token,
    });
    expect(revoked.count).toBe(2);

    const started = Date.now();
    for (const token of [second.session_token, third.session_token]) {
      const answer = await rejection(app.frontend.toSession({ xSessionToken: token }));
      expect(answer.status).toBe(401);
      expect(answer.data.error.id).toBe("session_inactive");
    }
    expect(Date.now() - started).toBeLessThan(1000);

    const { data: mine } = await app.frontend.toSession({
      xSessionToken: registered.session_token,
    });
    expect(mine.active).toBe(true);
  });

  it("revokes one session within one second", async () => {
    const password = "one session is revoked by id 9";
    const registered = await sdkRegister("revoke.one@example.com", password);
    const other = (await sdkLogin("revoke.one@example.com", password)).data;

    // Warm whoami's cache for the other token, so the revocation has to get past it.
    await app.frontend.toSession({ xSessionToken: other.session_token });

    await app.frontend.disableMySession({
      id: other.session.id,
      xSessionToken: registered.session_token,
    });
    const revokedAt = Date.now();
    let status = 200;
    while (status === 200 && Date.now() - revokedAt < 1000) {
      status = (
        await fetch(`${app.baseUrl}/sessions/whoami`, {
          headers: { "X-Session-Token": other.session_token! },
        })
      ).status;
    }
    expect(status).toBe(401);
    expect(Date.now() - revokedAt).toBeLessThan(1000);

    const own = await rejection(
      app.frontend.disableMySession({
        id: registered.session?.id ?? "",
        xSessionToken: registered.session_token,
      }),
    );
    expect(own.status).toBe(400);
    expect(own.data.error.id).toBe("bad_request");
  });
});
