import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../support/app.ts";
import {
  admin,
  expectError,
  loginThroughPublicApi,
  publicApi,
  registerThroughPublicApi,
  startAdminTestApp,
} from "./support.ts";

let app: TestApp;
const password = "a long and unusual passphrase 42";

beforeAll(async () => {
  app = await startAdminTestApp("admin_sessions");
});

afterAll(async () => {
  await app?.close();
});

function whoami(token: string) {
  return publicApi(app, "GET", "/sessions/whoami", { headers: { "X-Session-Token": token } });
}

async function signIn(email: string): Promise<string> {
  const login = await loginThroughPublicApi(app, email, password);
  expect(login.status, login.text).toBe(200);
  return login.body.session_token;
}

describe("admin sessions", () => {
  it("lists, reads and revokes one session", async () => {
    const { identityId, sessionToken } = await registerThroughPublicApi(
      app,
      "one@example.com",
      password,
    );
    const listed = await admin(app, "GET", `/admin/identities/${identityId}/sessions`);
    expect(listed.status, listed.text).toBe(200);
    expect(listed.body).toHaveLength(1);
    const sessionId = listed.body[0].id;
    expect(listed.body[0].active).toBe(true);
    expect(listed.body[0].identity).toBeUndefined();

    const read = await admin(app, "GET", `/admin/sessions/${sessionId}?expand=identity`);
    expect(read.status).toBe(200);
    expect(read.body.identity.id).toBe(identityId);
    expect(read.body.identity.credentials).toBeUndefined();
    const plain = await admin(app, "GET", `/admin/sessions/${sessionId}`);
    expect(plain.body.identity).toBeUndefined();

    const revoked = await admin(app, "DELETE", `/admin/sessions/${sessionId}`);
    expect(revoked.status).toBe(204);
    expect((await whoami(sessionToken)).status).toBe(401);
    const after = await admin(app, "GET", `/admin/sessions/${sessionId}`);
    expect(after.body.active).toBe(false);

    const history = await admin(app, "GET", `/admin/identities/${identityId}/events`);
    const revocation = history.body.find(
      (event: { type: string }) => event.type === "SessionRevoked",
    );
    expect(revocation.data.reason).toBe("revoked_by_admin");
  });

  it("filters by active and revokes all", async () => {
    const { identityId, sessionToken } = await registerThroughPublicApi(
      app,
      "many@example.com",
      password,
    );
    const second = await signIn("many@example.com");
    const third = await signIn("many@example.com");
    const sessions = await admin(app, "GET", `/admin/identities/${identityId}/sessions`);
    expect(sessions.body).toHaveLength(3);
    await admin(app, "DELETE", `/admin/sessions/${sessions.body[0].id}`);

    const active = await admin(app, "GET", `/admin/identities/${identityId}/sessions?active=true`);
    expect(active.body).toHaveLength(2);
    const inactive = await admin(
      app,
      "GET",
      `/admin/identities/${identityId}/sessions?active=false`,
    );
    expect(inactive.body).toHaveLength(1);

    const paged = await admin(app, "GET", `/admin/identities/${identityId}/sessions?page_size=2`);
    expect(paged.body).toHaveLength(2);
    const next = /<([^>]+)>; rel="next"/.exec(paged.headers.get("link") ?? "")?.[1];
    const rest = await admin(app, "GET", next!);
    expect(rest.body).toHaveLength(1);

    const all = await admin(app, "DELETE", `/admin/identities/${identityId}/sessions`);
    expect(all.status).toBe(204);
    for (const token of [sessionToken, second, third]) {
      expect((await whoami(token)).status).toBe(401);
    }
    const none = await admin(app, "GET", `/admin/identities/${identityId}/sessions?active=true`);
    expect(none.body).toEqual([]);
  });

  it("answers 404 for unknown ids", async () => {
    expectError(await admin(app, "GET", `/admin/sessions/${randomUUID()}`), 404, "not_found");
    expectError(await admin(app, "DELETE", `/admin/sessions/${randomUUID()}`), 404, "not_found");
    const unknown = randomUUID();
    expectError(await admin(app, "GET", `/admin/identities/${unknown}/sessions`), 404, "not_found");
    expectError(
      await admin(app, "DELETE", `/admin/identities/${unknown}/sessions`),
      404,
      "not_found",
    );
  });

  it("rejects bad filters", async () => {
    const { identityId } = await registerThroughPublicApi(app, "filters@example.com", password);
    for (const query of ["active=yes", "page_size=0", "page_token=forged.token", "active=1"]) {
      const response = await admin(app, "GET", `/admin/identities/${identityId}/sessions?${query}`);
      expectError(response, 400, "bad_request");
    }
    const expand = await admin(app, "GET", `/admin/sessions/${randomUUID()}?expand=secrets`);
    expectError(expand, 400, "bad_request");
  });
});
