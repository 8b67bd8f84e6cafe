import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { eventually } from "../support/eventually.ts";
import {
  adminCall,
  codeOf,
  continueWithToken,
  flowMessageIds,
  goodPassword,
  linkOf,
  login,
  mailsTo,
  publicCall,
  type Registered,
  type Reply,
  register,
  waitForMail,
} from "./support.ts";

let app: TestApp;
let victim: Registered;
let attacker: Registered;

const invalidRecoveryCode = 4060006;
const invalidVerificationCode = 4070006;
const recoverySubject = /recovery/i;

beforeAll(async () => {
  app = await startTestApp("e2e_recovery_attacks", {
    COURIER_SENDS_PER_ADDRESS: "50",
    COURIER_SENDS_PER_IP: "1000",
    LOGIN_ATTEMPTS_PER_IDENTIFIER: "1000",
  });
  victim = await register(app, "victim@example.com");
  attacker = await register(app, "attacker@example.com");
  await waitForMail(app, "victim@example.com");
  await waitForMail(app, "attacker@example.com");
});

afterAll(async () => {
  await app?.close();
});

async function newFlow(kind: "recovery" | "verification"): Promise<string> {
  return (await publicCall(app, "GET", `/self-service/${kind}/api`)).body.id;
}

function submit(kind: "recovery" | "verification", flowId: string, body: unknown) {
  return publicCall(app, "POST", `/self-service/${kind}?flow=${flowId}`, { json: body });
}

/** Requests a recovery code for `address` on a new flow and returns the flow and the code. */
async function recoveryCodeFor(address: string): Promise<{ flowId: string; code: string }> {
  const flowId = await newFlow("recovery");
  const skip = mailsTo(app, address, recoverySubject).length;
  const sent = await submit("recovery", flowId, { method: "code", email: address });
  expect(sent.status, `code request for ${address}: ${sent.text.slice(0, 200)}`).toBe(200);
  return { flowId, code: codeOf(await waitForMail(app, address, skip, recoverySubject)) };
}

/** Asserts a response that rejects a code: no session and the given UI message. */
function expectRejectedCode(reply: Reply, messageId: number, label: string): void {
  expect(reply.status, `${label}: ${reply.text.slice(0, 300)}`).toBeLessThan(500);
  expect(continueWithToken(reply.body), `${label} issues no session`).toBeUndefined();
  expect(flowMessageIds(reply.body), `${label} messages`).toContain(messageId);
}

async function whoamiIdentity(token: string): Promise<string | undefined> {
  const reply = await publicCall(app, "GET", "/sessions/whoami", { token });
  return reply.status === 200 ? reply.body.identity.id : undefined;
}

describe("recovery attacks", () => {
  it("rejects code on other flows", async () => {
    const { flowId, code } = await recoveryCodeFor("victim@example.com");

    const fresh = await submit("recovery", await newFlow("recovery"), { method: "code", code });
    expectRejectedCode(fresh, invalidRecoveryCode, "code on a fresh flow");

    const ownFlow = await newFlow("recovery");
    await submit("recovery", ownFlow, { method: "code", email: "attacker@example.com" });
    const onOwn = await submit("recovery", ownFlow, { method: "code", code });
    expectRejectedCode(onOwn, invalidRecoveryCode, "code on the attacker's flow");

    const verification = await submit("verification", await newFlow("verification"), {
      method: "code",
      code,
    });
    expectRejectedCode(verification, invalidVerificationCode, "code on a verification flow");

    const passed = await submit("recovery", flowId, { method: "code", code });
    const token = continueWithToken(passed.body);
    expect(
      token,
      `the code still works on its own flow: ${passed.text.slice(0, 200)}`,
    ).toBeTruthy();
    expect(await whoamiIdentity(token!), "the code signs in its identity").toBe(victim.identityId);
  });

  it("rejects link token on other flow", async () => {
    const created = await adminCall(app, "POST", "/admin/recovery/link", {
      json: { identity_id: victim.identityId },
    });
    expect(created.status, created.text.slice(0, 200)).toBe(200);
    const link = linkOf(created.body.recovery_link);
    const token = link.searchParams.get("token")!;

    const otherFlow = await newFlow("recovery");
    const reply = await publicCall(
      app,
      "GET",
      `/self-service/recovery?flow=${otherFlow}&token=${token}`,
    );
    expect(reply.status, `link token on another flow: ${reply.text.slice(0, 200)}`).toBeLessThan(
      500,
    );
    expect(continueWithToken(reply.body), "the other flow issues no session").toBeUndefined();
  });

  it("ignores own code after address switch", async () => {
    const { flowId, code } = await recoveryCodeFor("attacker@example.com");
    const switched = await submit("recovery", flowId, {
      method: "code",
      email: "victim@example.com",
    });
    expect(switched.status, switched.text.slice(0, 200)).toBe(200);

    const reply = await submit("recovery", flowId, { method: "code", code });
    const token = continueWithToken(reply.body);
    if (token !== undefined) {
      expect(await whoamiIdentity(token), "the attacker's code signs in the victim").not.toBe(
        victim.identityId,
      );
    }
    expect(flowMessageIds(reply.body), "the replaced code is invalid").toContain(
      invalidRecoveryCode,
    );
  });

  it("reveals no token in passed flows", async () => {
    const { flowId, code } = await recoveryCodeFor("attacker@example.com");
    const passed = await submit("recovery", flowId, { method: "code", code });
    const token = continueWithToken(passed.body);
    expect(token, `recovery signs in: ${passed.text.slice(0, 200)}`).toBeTruthy();

    const registration = await publicCall(app, "GET", "/self-service/registration/api");
    const registered = await publicCall(
      app,
      "POST",
      `/self-service/registration?flow=${registration.body.id}`,
      { json: { method: "password", password: goodPassword, traits: { email: "rr@example.com" } } },
    );
    expect(registered.status, registered.text.slice(0, 200)).toBe(200);

    // Anyone who learns a flow id can read the flow, so a passed flow must not keep the token.
    for (const [label, path, secret] of [
      ["recovery flow", `/self-service/recovery/flows?id=${flowId}`, token!],
      ["recovery flow by GET", `/self-service/recovery?flow=${flowId}`, token!],
      [
        "registration flow",
        `/self-service/registration/flows?id=${registration.body.id}`,
        registered.body.session_token,
      ],
    ] as const) {
      const reply = await publicCall(app, "GET", path);
      expect(reply.status, `${label}: ${reply.text.slice(0, 200)}`).toBe(200);
      expect(reply.text, `${label} hides the session token`).not.toContain(secret);
      expect(reply.text, `${label} holds no token at all`).not.toContain("rgst_");
    }
  });

  it("passes a code once under race", async () => {
    const { flowId, code } = await recoveryCodeFor("attacker@example.com");
    const replies = await Promise.all(
      Array.from({ length: 5 }, () => submit("recovery", flowId, { method: "code", code })),
    );
    const tokens = replies.map((reply) => continueWithToken(reply.body)).filter(Boolean);
    for (const [index, reply] of replies.entries()) {
      expect(reply.status, `parallel submission ${index + 1}`).toBeLessThan(500);
    }
    expect(tokens.length, "sessions issued by five parallel submissions").toBe(1);
  });

  it("invalidates flow after code guessing", async () => {
    const { flowId, code } = await recoveryCodeFor("victim@example.com");
    const wrong = code === "000000" ? "111111" : "000000";
    // Five submissions are allowed per flow; the fifth wrong one invalidates it.
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      const guess = await submit("recovery", flowId, { method: "code", code: wrong });
      expect(continueWithToken(guess.body), `guess ${attempt} issues no session`).toBeUndefined();
    }
    const late = await submit("recovery", flowId, { method: "code", code });
    expect(late.status, `right code after the limit: ${late.text.slice(0, 200)}`).toBe(400);
    expect(continueWithToken(late.body), "the right code no longer works").toBeUndefined();
    expect(flowMessageIds(late.body), "too many attempts message").toContain(4000001);
  });

  it("mails confusable address's owner only", async () => {
    const fullwidth = "ｖｉｃｔｉｍ@example.com";
    const before = mailsTo(app, "victim@example.com", recoverySubject).length;
    const flowId = await newFlow("recovery");
    const sent = await submit("recovery", flowId, { method: "code", email: fullwidth });
    expect(sent.status, sent.text.slice(0, 200)).toBe(200);
    await waitForMail(app, "victim@example.com", before, recoverySubject);
    await sleep(300);
    const recipients = app.registrar.courier
      .captureServer!.messages()
      .flatMap((mail) => mail.envelope.to);
    expect(recipients, "no mail to the confusable spelling").not.toContain(fullwidth);
  });

  // Account pre-hijacking: the attacker registers the victim's address first. Recovery proves
  // the victim owns it, and the new password must end the attacker's session.
  it("ends pre-hijacker's session on password change", async () => {
    const squatter = await register(app, "late@example.com", "the squatter's passphrase 77");
    const { flowId, code } = await recoveryCodeFor("late@example.com");
    const recovered = await submit("recovery", flowId, { method: "code", code });
    const ownerToken = continueWithToken(recovered.body);
    expect(ownerToken, `recovery signs the owner in: ${recovered.text.slice(0, 200)}`).toBeTruthy();

    const settings = await publicCall(app, "GET", "/self-service/settings/api", {
      token: ownerToken,
    });
    const changed = await publicCall(
      app,
      "POST",
      `/self-service/settings?flow=${settings.body.id}`,
      {
        token: ownerToken,
        json: { method: "password", password: goodPassword },
      },
    );
    expect(changed.status, changed.text.slice(0, 200)).toBe(200);

    await eventually(async () => {
      expect(await whoamiIdentity(squatter.token), "the squatter's session").toBeUndefined();
    }, 1_000);
    const squatterLogin = await login(app, "late@example.com", "the squatter's passphrase 77");
    expect(squatterLogin.status, "the old password fails").toBe(400);
    expect(await whoamiIdentity(ownerToken!), "the owner's session stays").toBe(
      squatter.identityId,
    );
    expect(attacker.identityId, "the bystander is another identity").not.toBe(squatter.identityId);
  });
});
