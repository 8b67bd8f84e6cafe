import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  adminCall,
  codeOf,
  expectErrorEnvelope,
  flowMessageIds,
  linkOf,
  publicCall,
  register,
  send,
  waitForMail,
} from "../e2e/support.ts";
import { startTestApp, type TestApp } from "../support/app.ts";

const auditKey = randomBytes(32).toString("base64url");
let app: TestApp;

beforeAll(async () => {
  const sha256 = createHash("sha256").update(auditKey).digest("hex");
  app = await startTestApp("regression_mail_secrets", {
    ADMIN_API_KEYS: JSON.stringify([{ id: "auditor", sha256, scopes: ["audit:read"] }]),
    COURIER_SENDS_PER_IP: "1000",
  });
});

afterAll(async () => {
  await app?.close();
});

/** Creates a native flow of `kind` and submits `email` for a mail of `method`. */
async function requestMail(kind: "recovery" | "verification", method: string, email: string) {
  const flow = await publicCall(app, "GET", `/self-service/${kind}/api`);
  const sent = await publicCall(app, "POST", `/self-service/${kind}?flow=${flow.body.id}`, {
    json: { method, email },
  });
  expect(sent.status, `${kind} ${method} request`).toBe(200);
  return flow.body.id as string;
}

/** Returns the code or the link token of a mail text, whichever it contains. */
function secretOf(text: string): string {
  try {
    return codeOf(text);
  } catch {
    return linkOf(text).searchParams.get("token")!;
  }
}

it("shows no code or link to an audit:read key", async () => {
  const email = "audited@example.com";
  const { identityId } = await register(app, email);
  const secrets = [secretOf(await waitForMail(app, email, 0))];

  await requestMail("recovery", "code", email);
  secrets.push(codeOf(await waitForMail(app, email, 1)));
  await requestMail("recovery", "link", email);
  secrets.push(linkOf(await waitForMail(app, email, 2)).searchParams.get("token")!);
  await requestMail("verification", "code", email);
  secrets.push(codeOf(await waitForMail(app, email, 3)));
  await requestMail("verification", "link", email);
  secrets.push(linkOf(await waitForMail(app, email, 4)).searchParams.get("token")!);

  const adminCode = await adminCall(app, "POST", "/admin/recovery/code", {
    json: { identity_id: identityId },
  });
  expect(adminCode.status).toBe(201);
  secrets.push(adminCode.body.recovery_code);
  const adminLink = await adminCall(app, "POST", "/admin/recovery/link", {
    json: { identity_id: identityId },
  });
  expect(adminLink.status).toBe(200);
  secrets.push(new URL(adminLink.body.recovery_link).searchParams.get("token")!);

  const history = await send(app.adminUrl, "GET", `/admin/identities/${identityId}/events`, {
    headers: { Authorization: `Bearer ${auditKey}` },
  });
  expect(history.status).toBe(200);
  expect(Array.isArray(history.body)).toBe(true);
  expect(history.body.length).toBeGreaterThan(5);
  expect(secrets).toHaveLength(7);
  for (const secret of secrets) {
    expect(secret.length, "each secret was found in its mail").toBeGreaterThanOrEqual(6);
    expect(history.text.includes(secret), "the history contains a mailed secret").toBe(false);
  }
  expect(history.text).not.toContain("token=");
  expect(history.text).not.toMatch(/"\d{6}"/);

  const { rows } = await app.database.pool.query<{ count: number }>(
    "SELECT count(*)::int AS count FROM courier_secrets",
  );
  expect(rows[0]!.count).toBeGreaterThanOrEqual(4);
});

it("rejects recovery secrets mailed to a replaced address", async () => {
  const { identityId } = await register(app, "old-address@example.com");
  await waitForMail(app, "old-address@example.com");
  const codeFlow = await requestMail("recovery", "code", "old-address@example.com");
  const code = codeOf(await waitForMail(app, "old-address@example.com", 1));
  await requestMail("recovery", "link", "old-address@example.com");
  const link = linkOf(await waitForMail(app, "old-address@example.com", 2));

  const current = await adminCall(app, "GET", `/admin/identities/${identityId}`);
  const replaced = await adminCall(app, "PUT", `/admin/identities/${identityId}`, {
    json: {
      schema_id: current.body.schema_id,
      state: "active",
      traits: { ...current.body.traits, email: "new-address@example.com" },
    },
  });
  expect(replaced.status).toBe(200);

  const byCode = await publicCall(app, "POST", `/self-service/recovery?flow=${codeFlow}`, {
    json: { method: "code", code },
  });
  expect(flowMessageIds(byCode.body)).toContain(4060006);
  expect(byCode.body?.state).not.toBe("passed_challenge");
  expect(byCode.body?.continue_with ?? []).toEqual([]);
  expect(byCode.text).not.toContain("ory_session_token");

  const byLink = await send(app.publicUrl, "GET", `${link.pathname}${link.search}`);
  expect(flowMessageIds(byLink.body)).toContain(4060006);
  expect(byLink.body?.state).not.toBe("passed_challenge");
  expect(byLink.body?.continue_with ?? []).toEqual([]);
  expect(byLink.text).not.toContain("session_token");
});

it("rejects browser posts but opens mail links", async () => {
  const email = "browser@example.com";
  const holder = await register(app, email);
  await waitForMail(app, email);
  const before = (await adminCall(app, "GET", "/admin/courier/messages")).body.length;
  const browserHeaders: Record<string, string>[] = [
    { Origin: "https://evil.example" },
    { Cookie: "sid=1" },
  ];
  const posts: [string, unknown, string?][] = [
    ["registration", { method: "password", traits: { email: "x@example.com" } }],
    ["login", { method: "password", identifier: email, password: "wrong password 1234" }],
    ["recovery", { method: "code", email }],
    ["verification", { method: "code", email }],
    ["settings", { method: "password", password: "another passphrase 2026" }, holder.token],
  ];
  for (const [kind, json, token] of posts) {
    for (const headers of browserHeaders) {
      const flow = await publicCall(app, "GET", `/self-service/${kind}/api`, { token });
      expect(flow.status, `${kind} flow`).toBe(200);
      const reply = await publicCall(app, "POST", `/self-service/${kind}?flow=${flow.body.id}`, {
        json,
        headers,
        token,
      });
      expectErrorEnvelope(reply, 400, "bad_request", `${kind} with ${Object.keys(headers)[0]}`);
    }
  }
  expect((await adminCall(app, "GET", "/admin/courier/messages")).body.length).toBe(before);

  await requestMail("verification", "link", email);
  const verifyLink = linkOf(await waitForMail(app, email, 1));
  const verified = await send(app.publicUrl, "GET", `${verifyLink.pathname}${verifyLink.search}`, {
    headers: { Origin: "https://mail.example", Cookie: "sid=1" },
  });
  expect(verified.status).toBe(200);
  expect(verified.body.state).toBe("passed_challenge");

  await requestMail("recovery", "link", email);
  const recoveryLink = linkOf(await waitForMail(app, email, 2));
  const recovered = await send(
    app.publicUrl,
    "GET",
    `${recoveryLink.pathname}${recoveryLink.search}`,
    { headers: { Origin: "https://mail.example", Cookie: "sid=1" } },
  );
  expect(recovered.status).toBeLessThan(400);
  expect(recovered.text).not.toContain('"error"');
});
