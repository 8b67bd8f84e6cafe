import { createHash } from "node:crypto";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type FlowJson,
  type JsonResponse,
  login,
  messageIds,
  type NodeJson,
  nodeNamed,
  registerIdentity,
  send,
  startTestApp,
  type TestApp,
} from "./support.ts";

const password = "settings start with this passphrase 1";
const breachedPassword = "this one leaked in 2019 somewhere";

let app: TestApp;
let rangeServer: Server;

/** A local stand-in for the breached-password range API that contains one leaked password. */
async function startRangeServer(): Promise<string> {
  const digest = createHash("sha1").update(breachedPassword).digest("hex").toUpperCase();
  rangeServer = createServer((request, response) => {
    const prefix = request.url?.split("/").pop() ?? "";
    const lines = ["0000000000000000000000000000000000A:0"];
    if (prefix === digest.slice(0, 5)) lines.push(`${digest.slice(5)}:12`);
    response.writeHead(200, { "Content-Type": "text/plain" });
    response.end(lines.join("\r\n"));
  });
  rangeServer.listen(0, "127.0.0.1");
  await once(rangeServer, "listening");
  return `http://127.0.0.1:${(rangeServer.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  const rangeUrl = await startRangeServer();
  app = await startTestApp("settings", {
    env: { BREACHED_PASSWORD_API: rangeUrl, LOGIN_ATTEMPTS_PER_IDENTIFIER: "1000" },
  });
});

afterAll(async () => {
  await app?.stop();
  rangeServer?.close();
});

function node(flow: FlowJson, name: string): NodeJson {
  const found = nodeNamed(flow, name);
  if (!found) throw new Error(`the flow has no node named ${name}`);
  return found;
}

async function newFlow(
  target: TestApp,
  token: string,
): Promise<FlowJson & { identity: Record<string, unknown> }> {
  const answer = await send(target, "GET", "/self-service/settings/api", {
    headers: { "X-Session-Token": token },
  });
  expect(answer.status).toBe(200);
  return answer.body;
}

function submit(target: TestApp, flowId: string, token: string, json: unknown) {
  return send(target, "POST", `/self-service/settings?flow=${flowId}`, {
    json,
    headers: { "X-Session-Token": token },
  });
}

describe("settings flow", () => {
  it("requires a session", async () => {
    const answer = await send(app, "GET", "/self-service/settings/api");
    expect(answer.status).toBe(401);
    expect(answer.body.error.id).toBe("session_inactive");
  });

  it("shows the profile and password forms", async () => {
    const { identityId, token } = await registerIdentity(app, "shape@example.com", password);
    const flow = await newFlow(app, token);
    expect(flow).toMatchObject({
      type: "api",
      state: "show_form",
      continue_with: [],
      organization_id: null,
      identity: { id: identityId, traits: { email: "shape@example.com" } },
    });
    expect(flow.identity).not.toHaveProperty("credentials");
    expect(flow.ui.action).toBe(`${app.baseUrl}/self-service/settings?flow=${flow.id}`);
    expect(
      flow.ui.nodes.map((n: NodeJson) => [n.group, n.attributes.name, n.attributes.value]),
    ).toEqual([
      ["default", "csrf_token", ""],
      ["profile", "traits.email", "shape@example.com"],
      ["profile", "traits.name.first", undefined],
      ["profile", "traits.name.last", undefined],
      ["profile", "method", "profile"],
      ["password", "password", undefined],
      ["password", "method", "password"],
    ]);

    const fetched = await send(app, "GET", `/self-service/settings/flows?id=${flow.id}`, {
      headers: { "X-Session-Token": token },
    });
    expect(fetched.status).toBe(200);
    expect(fetched.body.id).toBe(flow.id);
  });

  it("belongs to its identity only", async () => {
    const owner = await registerIdentity(app, "owner@example.com", password);
    const other = await registerIdentity(app, "other@example.com", password);
    const flow = await newFlow(app, owner.token);

    const fetched = await send(app, "GET", `/self-service/settings/flows?id=${flow.id}`, {
      headers: { "X-Session-Token": other.token },
    });
    expect(fetched.status).toBe(403);
    expect(fetched.body.error.id).toBe("security_identity_mismatch");

    const changed = await submit(app, flow.id, other.token, {
      method: "profile",
      traits: { email: "owner@example.com", name: { first: "Mallory" } },
    });
    expect(changed.status).toBe(403);
    expect(changed.body.error.id).toBe("security_identity_mismatch");

    const anonymous = await send(app, "GET", `/self-service/settings/flows?id=${flow.id}`);
    expect(anonymous.status).toBe(401);
  });

  it("rejects unknown methods with 4010004", async () => {
    const { token } = await registerIdentity(app, "method@example.com", password);
    const flow = await newFlow(app, token);
    const answer = await submit(app, flow.id, token, { method: "telepathy" });
    expect(answer.status).toBe(400);
    expect(messageIds(answer.body.ui.messages)).toEqual([4010004]);
  });
});

describe("password settings", () => {
  let token: string;
  let flowId: string;

  beforeAll(async () => {
    ({ token } = await registerIdentity(app, "changer@example.com", password));
    flowId = (await newFlow(app, token)).id;
  });

  async function rejectedWith(newPassword: unknown): Promise<number[]> {
    const answer = await submit(app, flowId, token, { method: "password", password: newPassword });
    expect(answer.status).toBe(400);
    expect(answer.body.state).toBe("show_form");
    return messageIds(node(answer.body, "password").messages);
  }

  it("applies the password policy", async () => {
    expect(await rejectedWith(undefined)).toEqual([4000002]);
    expect(await rejectedWith(42)).toEqual([4000026]);
    expect(await rejectedWith("short")).toEqual([4000032]);
    expect(await rejectedWith("changer@example.com")).toEqual([4000031]);
    expect(await rejectedWith(breachedPassword)).toEqual([4000034]);
    expect(await rejectedWith(password)).toEqual([4000039]);
  });

  it("keeps the current session and revokes the others", async () => {
    const other = await login(app, "changer@example.com", password);
    expect(other.status).toBe(200);

    const answer = await submit(app, flowId, token, {
      method: "password",
      password: "the replacement passphrase 22",
    });
    expect(answer.status).toBe(200);
    expect(answer.body.state).toBe("success");
    expect(answer.body.active).toBe("password");
    expect(messageIds(answer.body.ui.messages)).toEqual([1050001]);
    expect(node(answer.body, "password").attributes.value).toBeUndefined();

    const mine = await send(app, "GET", "/sessions/whoami", {
      headers: { "X-Session-Token": token },
    });
    expect(mine.status).toBe(200);
    const theirs = await send(app, "GET", "/sessions/whoami", {
      headers: { "X-Session-Token": other.body.session_token },
    });
    expect(theirs.status).toBe(401);

    expect((await login(app, "changer@example.com", password)).status).toBe(400);
    expect((await login(app, "changer@example.com", "the replacement passphrase 22")).status).toBe(
      200,
    );
  });
});

describe("profile settings", () => {
  it("updates traits", async () => {
    const { token } = await registerIdentity(app, "profile@example.com", password);
    const flow = await newFlow(app, token);
    const answer = await submit(app, flow.id, token, {
      method: "profile",
      "traits.email": "profile@example.com",
      "traits.name.first": "Ada",
    });
    expect(answer.status).toBe(200);
    expect(answer.body.state).toBe("success");
    expect(answer.body.identity.traits).toEqual({
      email: "profile@example.com",
      name: { first: "Ada" },
    });
    expect(node(answer.body, "traits.name.first").attributes.value).toBe("Ada");

    const whoami = await send(app, "GET", "/sessions/whoami", {
      headers: { "X-Session-Token": token },
    });
    expect(whoami.body.identity.traits.name).toEqual({ first: "Ada" });
  });

  it("changes the email and its login", async () => {
    const { token } = await registerIdentity(app, "before@example.com", password);
    const flow = await newFlow(app, token);
    const answer = await submit(app, flow.id, token, {
      method: "profile",
      traits: { email: "after@example.com" },
    });
    expect(answer.status).toBe(200);
    expect(
      answer.body.identity.verifiable_addresses.map((address: { value: string }) => address.value),
    ).toEqual(["after@example.com"]);
    expect((await login(app, "before@example.com", password)).status).toBe(400);
    expect((await login(app, "after@example.com", password)).status).toBe(200);
  });

  it("rejects a taken email with 4000007", async () => {
    await registerIdentity(app, "taken@example.com", password);
    const { token } = await registerIdentity(app, "taker@example.com", password);
    const flow = await newFlow(app, token);
    const answer = await submit(app, flow.id, token, {
      method: "profile",
      traits: { email: "Taken@Example.com" },
    });
    expect(answer.status).toBe(400);
    expect(messageIds(answer.body.ui.messages)).toEqual([4000007]);
    expect(answer.body.identity.traits.email).toBe("taker@example.com");
  });

  it("limits identifier changes per identity", async () => {
    const limited = await startTestApp("settings_identifier_limit", {
      env: { IDENTIFIER_CHANGES_PER_IDENTITY: "3" },
    });
    try {
      await registerIdentity(limited, "probed@example.com", password);
      const { token } = await registerIdentity(limited, "prober@example.com", password);
      const flow = await newFlow(limited, token);
      const probe = () =>
        submit(limited, flow.id, token, {
          method: "profile",
          traits: { email: "probed@example.com" },
        });
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const answer = await probe();
        expect(answer.status).toBe(400);
        expect(messageIds(answer.body.ui.messages)).toEqual([4000007]);
      }
      const limitedAnswer = await probe();
      expect(limitedAnswer.status).toBe(429);
      expect(limitedAnswer.body.error.id).toBe("rate_limited");
      expect(Number(limitedAnswer.headers.get("Retry-After"))).toBeGreaterThan(0);

      // A change that touches no identifier or address is not counted.
      const renamed = await submit(limited, flow.id, token, {
        method: "profile",
        traits: { email: "prober@example.com", name: { first: "Ada" } },
      });
      expect(renamed.status).toBe(200);
    } finally {
      await limited.stop();
    }
  });

  it("rejects invalid traits on their node", async () => {
    const { token } = await registerIdentity(app, "invalid@example.com", password);
    const flow = await newFlow(app, token);
    const answer: JsonResponse = await submit(app, flow.id, token, {
      method: "profile",
      traits: { email: "not an address", unknown: true },
    });
    expect(answer.status).toBe(400);
    const emailMessages = node(answer.body, "traits.email").messages;
    expect(emailMessages).toHaveLength(1);
    expect(emailMessages[0]?.type).toBe("error");

    const missing = await submit(app, flow.id, token, { method: "profile" });
    expect(missing.status).toBe(400);
    expect(messageIds(missing.body.ui.messages)).toEqual([4000002]);
  });
});

describe("privileged session", () => {
  let shortApp: TestApp;

  beforeAll(async () => {
    shortApp = await startTestApp("settings_privileged", {
      env: { PRIVILEGED_SESSION_MAX_AGE_SECONDS: "4" },
    });
  });

  afterAll(async () => {
    await shortApp?.stop();
  });

  it("is required for passwords and identifiers", async () => {
    const { token } = await registerIdentity(shortApp, "aging@example.com", password);
    const flow = await newFlow(shortApp, token);
    await sleep(4100);

    const passwordChange = await submit(shortApp, flow.id, token, {
      method: "password",
      password: "a newer passphrase nobody knows",
    });
    expect(passwordChange.status).toBe(403);
    expect(passwordChange.body.error.id).toBe("session_refresh_required");
    const redirect = new URL(passwordChange.body.redirect_browser_to);
    expect(redirect.pathname).toBe("/self-service/login/browser");
    expect(redirect.searchParams.get("refresh")).toBe("true");
    expect(redirect.searchParams.get("return_to")).toBe(
      `${shortApp.baseUrl}/self-service/settings?flow=${flow.id}`,
    );

    const nameChange = await submit(shortApp, flow.id, token, {
      method: "profile",
      traits: { email: "aging@example.com", name: { last: "Lovelace" } },
    });
    expect(nameChange.status).toBe(200);

    const emailChange = await submit(shortApp, flow.id, token, {
      method: "profile",
      traits: { email: "aged@example.com" },
    });
    expect(emailChange.status).toBe(403);
    expect(emailChange.body.error.id).toBe("session_refresh_required");

    // A refresh login issues a fresh session that may change the email again.
    const refreshFlow = await send(shortApp, "GET", "/self-service/login/api?refresh=true", {
      headers: { "X-Session-Token": token },
    });
    const refreshed = await send(
      shortApp,
      "POST",
      `/self-service/login?flow=${refreshFlow.body.id}`,
      {
        json: { method: "password", identifier: "aging@example.com", password },
        headers: { "X-Session-Token": token },
      },
    );
    expect(refreshed.status).toBe(200);
    const retried = await submit(shortApp, flow.id, refreshed.body.session_token, {
      method: "profile",
      traits: { email: "aged@example.com" },
    });
    expect(retried.status).toBe(200);
    expect(retried.body.identity.traits.email).toBe("aged@example.com");
  });
});

describe("identity deleted during a settings submit", () => {
  for (const [method, body] of [
    ["password", { method: "password", password: "a replacement passphrase 31" }],
    ["profile", { method: "profile", traits: { email: "renamed-while-deleted@example.com" } }],
  ] as const) {
    it(`answers 401 for ${method}`, async () => {
      const { identityId, token } = await registerIdentity(
        app,
        `deleted-during-${method}@example.com`,
        password,
      );
      const flow = await newFlow(app, token);
      const { identities } = app.running.registrar;
      const execute = identities.execute.bind(identities);
      // The identity is deleted just before the settings command runs.
      identities.execute = async (command, context) => {
        if (command.type === "ChangePassword" || command.type === "UpdateTraits") {
          const deleted = await execute(
            { type: "DeleteIdentity", identityId, now: new Date().toISOString() },
            { actor: { type: "admin", id: "test" } },
          );
          expect(deleted.ok).toBe(true);
        }
        return execute(command, context);
      };
      try {
        const answer = await submit(app, flow.id, token, body);
        expect(answer.status).toBe(401);
        expect(answer.body.error.id).toBe("session_inactive");
      } finally {
        identities.execute = execute;
      }
    });
  }
});
