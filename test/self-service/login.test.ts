import bcrypt from "bcryptjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { identityStreamId } from "../../src/domain/identity/index.ts";
import { listSecurityEvents } from "../../src/security/security-log.ts";
import { eventually } from "../support/eventually.ts";
import {
  createIdentity,
  type FlowJson,
  login,
  messageIds,
  type NodeJson,
  nodeNamed,
  registerIdentity,
  send,
  startTestApp,
  type TestApp,
} from "./support.ts";

let app: TestApp;
const password = "a long and unusual passphrase 83";

beforeAll(async () => {
  app = await startTestApp("login", { env: { LOGIN_ATTEMPTS_PER_IDENTIFIER: "1000" } });
});

afterAll(async () => {
  await app?.stop();
});

function node(flow: FlowJson, name: string): NodeJson {
  const found = nodeNamed(flow, name);
  if (!found) throw new Error(`the flow has no node named ${name}`);
  return found;
}

describe("login flow", () => {
  it("creates a native flow in Kratos's shape", async () => {
    const answer = await send(app, "GET", "/self-service/login/api");
    expect(answer.status).toBe(200);
    const flow = answer.body;
    expect(flow).toMatchObject({
      type: "api",
      state: "choose_method",
      refresh: false,
      requested_aal: "aal1",
      organization_id: null,
      request_url: `${app.baseUrl}/self-service/login/api`,
    });
    expect(flow.ui.action).toBe(`${app.baseUrl}/self-service/login?flow=${flow.id}`);
    expect(flow.ui.method).toBe("POST");
    expect(flow.ui.nodes.map((n: NodeJson) => [n.group, n.attributes.name])).toEqual([
      ["default", "csrf_token"],
      ["default", "identifier"],
      ["password", "password"],
      ["password", "method"],
    ]);
    expect(node(flow, "identifier").meta.label).toMatchObject({ id: 1070002, text: "E-Mail" });
    expect(node(flow, "password").attributes.autocomplete).toBe("current-password");

    const fetched = await send(app, "GET", `/self-service/login/flows?id=${flow.id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body.id).toBe(flow.id);
  });

  it("returns 404 for unknown flows", async () => {
    const answer = await send(
      app,
      "GET",
      "/self-service/login/flows?id=00000000-0000-4000-8000-000000000000",
    );
    expect(answer.status).toBe(404);
    expect(answer.body.error.id).toBe("not_found");
  });

  it("returns 410 for expired flows", async () => {
    const created = await send(app, "GET", "/self-service/login/api");
    await app.database.pool.query(
      "UPDATE flows SET expires_at = now() - interval '2 minutes' WHERE id = $1",
      [created.body.id],
    );
    const answer = await send(app, "POST", `/self-service/login?flow=${created.body.id}`, {
      json: { method: "password", identifier: "a@example.com", password },
    });
    expect(answer.status).toBe(410);
    expect(answer.body.error.id).toBe("self_service_flow_expired");
    expect(answer.body.use_flow_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.body.use_flow_id).not.toBe(created.body.id);

    const replacement = await send(
      app,
      "GET",
      `/self-service/login/flows?id=${answer.body.use_flow_id}`,
    );
    expect(messageIds(replacement.body.ui.messages)).toEqual([4010001]);
  });

  it("rejects a disallowed return_to", async () => {
    const answer = await send(
      app,
      "GET",
      `/self-service/login/api?return_to=${encodeURIComponent("https://evil.example/")}`,
    );
    expect(answer.status).toBe(400);
    expect(answer.body.error.id).toBe("self_service_flow_return_to_forbidden");
  });

  it("requires a session for aal2", async () => {
    const answer = await send(app, "GET", "/self-service/login/api?aal=aal2");
    expect(answer.status).toBe(401);
    expect(answer.body.error.id).toBe("session_aal1_required");
  });
});

describe("login submission", () => {
  it("marks missing fields with 4000002", async () => {
    const flow = await send(app, "GET", "/self-service/login/api");
    const answer = await send(app, "POST", `/self-service/login?flow=${flow.body.id}`, {
      json: { method: "password" },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.id).toBe(flow.body.id);
    expect(messageIds(node(answer.body, "identifier").messages)).toEqual([4000002]);
    expect(messageIds(node(answer.body, "password").messages)).toEqual([4000002]);
    expect(node(answer.body, "password").messages[0]?.context).toEqual({ property: "password" });
  });

  it("marks wrong types with 4000026", async () => {
    const flow = await send(app, "GET", "/self-service/login/api");
    const answer = await send(app, "POST", `/self-service/login?flow=${flow.body.id}`, {
      json: { method: "password", identifier: 12, password: ["x"] },
    });
    expect(answer.status).toBe(400);
    expect(messageIds(node(answer.body, "identifier").messages)).toEqual([4000026]);
    expect(messageIds(node(answer.body, "password").messages)).toEqual([4000026]);
  });

  it("rejects unknown methods with 4010002", async () => {
    const flow = await send(app, "GET", "/self-service/login/api");
    const answer = await send(app, "POST", `/self-service/login?flow=${flow.body.id}`, {
      json: { method: "carrier-pigeon", identifier: "a@example.com", password },
    });
    expect(answer.status).toBe(400);
    expect(messageIds(answer.body.ui.messages)).toEqual([4010002]);
  });

  it("accepts the form encoding", async () => {
    await registerIdentity(app, "form.user@example.com", password);
    const flow = await send(app, "GET", "/self-service/login/api");
    const form = new URLSearchParams({
      method: "password",
      identifier: "form.user@example.com",
      password,
    });
    const answer = await send(app, "POST", `/self-service/login?flow=${flow.body.id}`, {
      raw: form.toString(),
      contentType: "application/x-www-form-urlencoded",
    });
    expect(answer.status).toBe(200);
    expect(answer.body.session.identity.traits.email).toBe("form.user@example.com");
  });

  it("normalises the identifier like registration", async () => {
    await registerIdentity(app, "mixed.case@example.com", password);
    // Fullwidth letters fold to ASCII under NFKC.
    const answer = await login(app, "  ＭＩＸＥＤ.Case@Example.COM\t", password);
    expect(answer.status).toBe(200);
    expect(answer.body.session.authentication_methods).toEqual([
      expect.objectContaining({ method: "password", aal: "aal1" }),
    ]);
  });

  it("prefills the identifier after a failure", async () => {
    const answer = await login(app, "Nobody@Example.com", "wrong password value");
    expect(answer.status).toBe(400);
    expect(node(answer.body, "identifier").attributes.value).toBe("Nobody@Example.com");
    expect(node(answer.body, "password").attributes.value).toBeUndefined();
    expect(answer.body.active).toBe("password");
  });

  it("rejects browser requests to native flows", async () => {
    const flow = await send(app, "GET", "/self-service/login/api");
    const browserHeaders: Record<string, string>[] = [
      { Origin: "https://evil.example" },
      { Cookie: "ory_kratos_session=x" },
    ];
    for (const header of browserHeaders) {
      const answer = await send(app, "POST", `/self-service/login?flow=${flow.body.id}`, {
        json: { method: "password", identifier: "a@example.com", password },
        headers: header,
      });
      expect(answer.status).toBe(400);
      expect(answer.body.error.id).toBe("bad_request");
    }
  });
});

describe("login session", () => {
  it("matches what whoami reads later", async () => {
    const { token } = await registerIdentity(app, "same-session@example.com", password);
    // The verification mail changes the identity in the background, so wait for it first.
    await eventually(async () => {
      app.running.registrar.sessions.forgetAll();
      const current = await send(app, "GET", "/sessions/whoami", {
        headers: { "X-Session-Token": token },
      });
      expect(current.body.identity.verifiable_addresses[0].status).toBe("sent");
    });

    const answer = await login(app, "same-session@example.com", password, {
      "User-Agent": "session-shape-test",
    });
    expect(answer.status).toBe(200);

    // Past the whoami cache, the session comes from the read model.
    app.running.registrar.sessions.forgetAll();
    const whoami = await send(app, "GET", "/sessions/whoami", {
      headers: { "X-Session-Token": answer.body.session_token },
    });
    expect(whoami.status).toBe(200);
    expect(answer.body.session).toEqual(whoami.body);
    expect(answer.body.session.devices[0].user_agent).toBe("session-shape-test");
  });
});

describe("parallel logins", () => {
  it("all succeed for one identity", async () => {
    await registerIdentity(app, "many-devices@example.com", password);
    const answers = await Promise.all(
      Array.from({ length: 16 }, () => login(app, "many-devices@example.com", password)),
    );
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200));
    const tokens = new Set(answers.map((answer) => answer.body.session_token));
    expect(tokens.size).toBe(16);
  });
});

describe("changes during a login", () => {
  // Runs `change` right after the login's password check, before its session is issued.
  async function loginWhile(
    email: string,
    change: (identityId: string) => Promise<void>,
  ): Promise<Awaited<ReturnType<typeof login>>> {
    const { identityId } = await registerIdentity(app, email, password);
    const hasher = app.running.registrar.hasher;
    const verify = hasher.verify.bind(hasher);
    hasher.verify = async (...args) => {
      const result = await verify(...args);
      await change(identityId);
      return result;
    };
    try {
      return await login(app, email, password);
    } finally {
      hasher.verify = verify;
    }
  }

  it("rejects a password changed meanwhile", async () => {
    const { identities, hasher } = app.running.registrar;
    const answer = await loginWhile("changed-meanwhile@example.com", async (identityId) => {
      const outcome = await identities.execute(
        {
          type: "ChangePassword",
          identityId,
          hashedPassword: await hasher.hash("an entirely new passphrase 19"),
          revokeOtherSessions: {},
          now: new Date().toISOString(),
        },
        { actor: { type: "identity", id: identityId } },
      );
      expect(outcome.ok).toBe(true);
    });
    expect(answer.status).toBe(400);
    expect(messageIds(answer.body.ui.messages)).toEqual([4000006]);
  });

  it("rejects a deleted identity", async () => {
    const { identities } = app.running.registrar;
    const answer = await loginWhile("deleted-meanwhile@example.com", async (identityId) => {
      const outcome = await identities.execute(
        { type: "DeleteIdentity", identityId, now: new Date().toISOString() },
        { actor: { type: "admin", id: "test" } },
      );
      expect(outcome.ok).toBe(true);
    });
    expect(answer.status).toBe(400);
    expect(messageIds(answer.body.ui.messages)).toEqual([4000006]);
  });
});

describe("lagging sessions read model", () => {
  it("answers 503 for an unreadable session", async () => {
    await registerIdentity(app, "lagging@example.com", password);
    const { rows } = await app.database.pool.query<{ generation: number }>(
      "SELECT generation FROM projection_checkpoints WHERE projection = 'sessions' AND state = 'live'",
    );
    // The projection's batch lock, held elsewhere, stops it from applying the new session.
    const blocker = await app.database.pool.connect();
    try {
      await blocker.query("SELECT pg_advisory_lock(7341003, hashtext($1))", [
        `sessions:${rows[0]!.generation}`,
      ]);
      const answer = await login(app, "lagging@example.com", password);
      expect(answer.status).toBe(503);
      expect(answer.body.error.id).toBe("service_unavailable");
    } finally {
      await blocker.query("SELECT pg_advisory_unlock_all()");
      blocker.release();
    }
  });
});

describe("inactive identities", () => {
  it("reveal their state only after a correct password", async () => {
    const hash = await app.running.registrar.hasher.hash(password);
    const identityId = await createIdentity(app, {
      email: "inactive@example.com",
      hashedPassword: hash,
      state: "inactive",
    });

    const wrong = await login(app, "inactive@example.com", "not the password at all");
    expect(wrong.status).toBe(400);
    expect(messageIds(wrong.body.ui.messages)).toEqual([4000006]);

    const right = await login(app, "inactive@example.com", password);
    expect(right.status).toBe(400);
    expect(messageIds(right.body.ui.messages)).toEqual([4010011]);

    const { events } = await listSecurityEvents(app.database.pool, { identityId });
    expect(events.map((event) => event.data.reason)).toEqual(["wrong_password", "inactive"]);
  });
});

describe("password rehash", () => {
  it("replaces a bcrypt hash with argon2id on login", async () => {
    const identityId = await createIdentity(app, {
      email: "imported@example.com",
      hashedPassword: bcrypt.hashSync(password, 4),
    });

    const answer = await login(app, "imported@example.com", password);
    expect(answer.status).toBe(200);

    const { registrar } = app.running;
    const loaded = await registrar.identities.load(identityId);
    expect(loaded.state.status).toBe("existing");
    if (loaded.state.status !== "existing") return;
    const stored = loaded.state.identity.credentials.password?.config.hashedPassword;
    expect(stored).toMatch(/^\$argon2id\$/);

    const events = await registrar.store.readStream(identityStreamId(identityId));
    const changed = events.find((event) => event.type === "PasswordChanged");
    expect(changed?.metadata.actor).toEqual({ type: "system", id: "password-rehash" });

    const again = await login(app, "imported@example.com", password);
    expect(again.status).toBe(200);
  });

  it("lets parallel logins share one rehash", async () => {
    await createIdentity(app, {
      email: "imported-parallel@example.com",
      hashedPassword: bcrypt.hashSync(password, 4),
    });
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => login(app, "imported-parallel@example.com", password)),
    );
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200));
  });

  it("answers a rehash login whose session ends at once", async () => {
    const identityId = await createIdentity(app, {
      email: "imported-revoked@example.com",
      hashedPassword: bcrypt.hashSync(password, 4),
    });
    const { identities, hasher, sessions } = app.running.registrar;
    const waitForSessions = sessions.waitForSessions.bind(sessions);
    sessions.waitForSessions = async (position) => {
      const visible = await waitForSessions(position);
      // An administrator resets the password, ending every session, right after the new one.
      const outcome = await identities.execute(
        {
          type: "ChangePassword",
          identityId,
          hashedPassword: await hasher.hash("an administrator's new passphrase 8"),
          revokeOtherSessions: {},
          now: new Date().toISOString(),
        },
        { actor: { type: "admin", id: "test" } },
      );
      expect(outcome.ok).toBe(true);
      // The revocation reaches the read model before the login reads its session back.
      if (outcome.ok && outcome.position) await waitForSessions(outcome.position);
      return visible;
    };
    let answer: Awaited<ReturnType<typeof login>>;
    try {
      answer = await login(app, "imported-revoked@example.com", password);
    } finally {
      sessions.waitForSessions = waitForSessions;
    }

    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body.session.identity.id).toBe(identityId);
    await eventually(async () => {
      const whoami = await send(app, "GET", "/sessions/whoami", {
        headers: { "X-Session-Token": answer.body.session_token },
      });
      expect(whoami.status).toBe(401);
    });
  });

  it("keeps a reset made during rehash", async () => {
    const identityId = await createIdentity(app, {
      email: "imported-reset@example.com",
      hashedPassword: bcrypt.hashSync(password, 4),
    });
    const { identities, hasher } = app.running.registrar;
    const newPassword = "an administrator's new passphrase 7";
    const hash = hasher.hash.bind(hasher);
    let changed = false;
    hasher.hash = async (plain) => {
      const result = await hash(plain);
      if (!changed) {
        changed = true;
        // An administrator resets the password while the login computes its new hash.
        const outcome = await identities.execute(
          {
            type: "ChangePassword",
            identityId,
            hashedPassword: await hash(newPassword),
            revokeOtherSessions: {},
            now: new Date().toISOString(),
          },
          { actor: { type: "admin", id: "test" } },
        );
        expect(outcome.ok).toBe(true);
      }
      return result;
    };
    let answer: Awaited<ReturnType<typeof login>>;
    try {
      answer = await login(app, "imported-reset@example.com", password);
    } finally {
      hasher.hash = hash;
    }

    expect(answer.status).toBe(400);
    expect(messageIds(answer.body.ui.messages)).toEqual([4000006]);
    expect((await login(app, "imported-reset@example.com", password)).status).toBe(400);
    expect((await login(app, "imported-reset@example.com", newPassword)).status).toBe(200);
  });
});

describe("security log", () => {
  it("records failures without secrets", async () => {
    const email = "logged.user@example.com";
    const { identityId } = await registerIdentity(app, email, password);
    const secret = "Tr0ub4dor&3-secret-guess";
    await login(app, email, secret, { "User-Agent": "registrar-test/1.0" });
    await login(app, "ghost.user@example.com", secret, { "User-Agent": "registrar-test/1.0" });

    const { rows } = await app.database.pool.query(
      "SELECT * FROM security_log WHERE event_type = 'LoginFailed' ORDER BY id",
    );
    const mine = rows.filter((row) => row.metadata.source?.userAgent === "registrar-test/1.0");
    expect(mine.map((row) => row.metadata.data.reason)).toEqual([
      "wrong_password",
      "unknown_identifier",
    ]);
    expect(mine[0].identity_id).toBe(identityId);
    expect(mine[1].identity_id).toBeNull();

    const { claims } = app.running.registrar.personalData;
    expect(mine[0].identifier_key).toBe(claims.claimKey("login_throttle", email));
    expect(mine[1].identifier_key).toBe(
      claims.claimKey("login_throttle", "ghost.user@example.com"),
    );
    for (const row of mine) {
      expect(row.metadata.source.ip).toBe("127.0.0.1");
      expect(row.metadata.source.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(row.metadata.actor).toEqual({ type: "anonymous" });
      const text = JSON.stringify(row).toLowerCase();
      expect(text).not.toContain(secret.toLowerCase());
      expect(text).not.toContain("logged.user");
      expect(text).not.toContain("ghost.user");
    }
  });

  it("logs failures at info without identifiers", async () => {
    await login(app, "info.level@example.com", "guess for the log");
    const lines = app.logLines.filter((line) => line.msg === "login failed");
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line.level).toBe(30);
      expect(JSON.stringify(line)).not.toContain("@example.com");
    }
    expect(lines.at(-1)).toMatchObject({ reason: "unknown_identifier", identity_id: null });
  });

  it("rejects changes to logged rows", async () => {
    await login(app, "ghost.user@example.com", "another wrong guess");
    await expect(
      app.database.pool.query("UPDATE security_log SET event_type = 'Changed'"),
    ).rejects.toThrow();
    await expect(app.database.pool.query("DELETE FROM security_log")).rejects.toThrow();
  });

  it("lists events by type and page", async () => {
    const first = await listSecurityEvents(app.database.pool, { type: "LoginFailed", limit: 2 });
    expect(first.events).toHaveLength(2);
    expect(first.nextAfter).toBe(first.events[1]!.id);
    const second = await listSecurityEvents(app.database.pool, {
      type: "LoginFailed",
      limit: 2,
      after: first.nextAfter,
    });
    expect(Number(second.events[0]!.id)).toBeGreaterThan(Number(first.nextAfter));
    expect(second.events.every((event) => event.type === "LoginFailed")).toBe(true);

    const future = await listSecurityEvents(app.database.pool, {
      from: new Date(Date.now() + 60_000),
    });
    expect(future.events).toEqual([]);
    await expect(listSecurityEvents(app.database.pool, { limit: 0 })).rejects.toThrow();
  });
});
