import { randomUUID } from "node:crypto";
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
const password = "a long and unusual passphrase 42";

beforeAll(async () => {
  app = await startAdminTestApp("admin_commands");
});

afterAll(async () => {
  await app?.close();
});

function command(name: string, body: unknown, headers: Record<string, string> = {}) {
  return admin(app, "POST", `/admin/commands/${name}`, { body, headers });
}

describe("POST /admin/commands/{name}", () => {
  it("creates an identity and answers its position", async () => {
    const identityId = randomUUID();
    const response = await command("CreateIdentity", {
      identity_id: identityId,
      traits: { email: "native@example.com" },
      password,
    });
    expect(response.status, response.text).toBe(200);
    expect(response.body.stream_id).toBe(`identity-${identityId}`);
    expect(response.body.version).toBe(1);
    expect(typeof response.body.position).toBe("string");

    const read = await admin(app, "GET", `/admin/identities/${identityId}`);
    expect(read.status).toBe(200);
    const login = await loginThroughPublicApi(app, "native@example.com", password);
    expect(login.status, login.text).toBe(200);
  });

  it("answers a null position when nothing changed", async () => {
    const identityId = randomUUID();
    await command("CreateIdentity", {
      identity_id: identityId,
      traits: { email: "n@example.com" },
    });
    const activated = await command("ActivateIdentity", { identity_id: identityId });
    expect(activated.status).toBe(200);
    expect(activated.body).toEqual({
      stream_id: `identity-${identityId}`,
      version: 1,
      position: null,
    });
  });

  it("replays an idempotent request", async () => {
    const key = `create-${randomUUID()}`;
    const body = { traits: { email: "idem@example.com" } };
    const first = await command("CreateIdentity", body, { "Idempotency-Key": key });
    expect(first.status, first.text).toBe(200);
    const eventsAfterFirst = await countEvents(app);

    const repeat = await command("CreateIdentity", body, { "Idempotency-Key": key });
    expect(repeat.status).toBe(200);
    expect(repeat.body).toEqual(first.body);
    expect(repeat.headers.get("idempotent-replayed")).toBe("true");
    expect(await countEvents(app)).toBe(eventsAfterFirst);

    const listed = await admin(
      app,
      "GET",
      "/admin/identities?credentials_identifier=idem@example.com",
    );
    expect(listed.body).toHaveLength(1);
  });

  it("rejects a reused key with another body", async () => {
    const key = `reuse-${randomUUID()}`;
    const first = await command(
      "CreateIdentity",
      { traits: { email: "reuse-1@example.com" } },
      { "Idempotency-Key": key },
    );
    expect(first.status).toBe(200);
    const before = await countEvents(app);

    const other = await command(
      "CreateIdentity",
      { traits: { email: "reuse-2@example.com" } },
      { "Idempotency-Key": key },
    );
    expectError(other, 422, "idempotency_key_reused");
    const otherCommand = await command(
      "DeleteIdentity",
      { identity_id: first.body.stream_id.slice("identity-".length) },
      { "Idempotency-Key": key },
    );
    expectError(otherCommand, 422, "idempotency_key_reused");
    expect(await countEvents(app)).toBe(before);
  });

  it("replays a stored client error", async () => {
    const key = `missing-${randomUUID()}`;
    const body = { identity_id: randomUUID() };
    const first = await command("DeactivateIdentity", body, { "Idempotency-Key": key });
    expectError(first, 404, "not_found");
    const repeat = await command("DeactivateIdentity", body, { "Idempotency-Key": key });
    expectError(repeat, 404, "not_found");
    expect(repeat.body.error.request).toBe(first.body.error.request);
  });

  it("rejects malformed idempotency keys", async () => {
    for (const key of ["x".repeat(201), "tab\there"]) {
      const response = await command(
        "ActivateIdentity",
        { identity_id: randomUUID() },
        { "Idempotency-Key": key },
      );
      expectError(response, 400, "bad_request");
    }
  });

  it("answers 404 for an unknown command", async () => {
    for (const name of ["RegisterIdentity", "IssueSession", "toString", "__proto__", "Nope"]) {
      const response = await command(name, {});
      expectError(response, 404, "not_found");
    }
  });

  it("rejects unknown fields naming them", async () => {
    const response = await command("DeactivateIdentity", {
      identity_id: randomUUID(),
      force: true,
    });
    expectError(response, 400, "bad_request");
    expect(response.body.error.message).toContain("force");
  });

  it("runs the lifecycle commands", async () => {
    const { identityId, sessionToken } = await registerThroughPublicApi(
      app,
      "life@example.com",
      password,
    );
    const whoami = () =>
      publicApi(app, "GET", "/sessions/whoami", { headers: { "X-Session-Token": sessionToken } });
    expect((await whoami()).status).toBe(200);

    const traits = await command("UpdateTraits", {
      identity_id: identityId,
      traits: { email: "life2@example.com" },
    });
    expect(traits.status, traits.text).toBe(200);
    const verified = await command("MarkAddressVerified", {
      identity_id: identityId,
      via: "email",
      value: "LIFE2@example.com",
    });
    expect(verified.status, verified.text).toBe(200);
    const read = await admin(app, "GET", `/admin/identities/${identityId}`);
    expect(read.body.verifiable_addresses[0].verified).toBe(true);

    const changed = await command("ChangePassword", {
      identity_id: identityId,
      password: "another long passphrase 77",
      revoke_sessions: true,
    });
    expect(changed.status, changed.text).toBe(200);
    expect((await whoami()).status).toBe(401);
    const login = await loginThroughPublicApi(
      app,
      "life2@example.com",
      "another long passphrase 77",
    );
    expect(login.status, login.text).toBe(200);

    const deactivated = await command("DeactivateIdentity", { identity_id: identityId });
    expect(deactivated.status).toBe(200);
    expect((await admin(app, "GET", `/admin/identities/${identityId}`)).body.state).toBe(
      "inactive",
    );
    const activated = await command("ActivateIdentity", { identity_id: identityId });
    expect(activated.status).toBe(200);

    const erased = await command("EraseIdentity", { identity_id: identityId, reason: "other" });
    expect(erased.status).toBe(200);
    expectError(await admin(app, "GET", `/admin/identities/${identityId}`), 404, "not_found");
  });

  it("rejects a weak password", async () => {
    const identityId = randomUUID();
    await command("CreateIdentity", {
      identity_id: identityId,
      traits: { email: "w@example.com" },
    });
    const before = await countEvents(app);
    const response = await command("ChangePassword", { identity_id: identityId, password: "123" });
    expectError(response, 400, "bad_request");
    expect(response.body.error.details.message_id).toBe(4000032);
    expect(await countEvents(app)).toBe(before);
  });
});
