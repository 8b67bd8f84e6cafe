import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../support/app.ts";
import { admin, createIdentity, expectError, startAdminTestApp } from "./support.ts";

let app: TestApp;

beforeAll(async () => {
  app = await startAdminTestApp("admin_history");
});

afterAll(async () => {
  await app?.close();
});

describe("history and time travel", () => {
  it("shows old traits before a change", async () => {
    const beforeCreation = new Date();
    await sleep(20);
    const created = await createIdentity(app, {
      traits: { email: "old@example.com", name: { first: "Old" } },
      credentials: { password: { config: { password: "a long and unusual passphrase 42" } } },
    });
    const id = created.id;
    await sleep(20);
    const betweenChanges = new Date();
    await sleep(20);

    const updated = await admin(app, "POST", "/admin/commands/UpdateTraits", {
      body: { identity_id: id, traits: { email: "new@example.com", name: { first: "New" } } },
    });
    expect(updated.status, updated.text).toBe(200);

    const past = await admin(
      app,
      "GET",
      `/admin/identities/${id}/state?at=${encodeURIComponent(betweenChanges.toISOString())}`,
    );
    expect(past.status, past.text).toBe(200);
    expect(past.body.traits).toEqual({ email: "old@example.com", name: { first: "Old" } });
    expect(past.body.verifiable_addresses[0].value).toBe("old@example.com");

    const now = await admin(
      app,
      "GET",
      `/admin/identities/${id}/state?at=${encodeURIComponent(new Date().toISOString())}`,
    );
    expect(now.body.traits.email).toBe("new@example.com");

    const tooEarly = await admin(
      app,
      "GET",
      `/admin/identities/${id}/state?at=${encodeURIComponent(beforeCreation.toISOString())}`,
    );
    expectError(tooEarly, 404, "not_found");
  });

  it("lists every event with actor and correlation id", async () => {
    const created = await admin(app, "POST", "/admin/identities", {
      body: {
        schema_id: "default",
        traits: { email: "events@example.com" },
        credentials: { password: { config: { password: "a long and unusual passphrase 42" } } },
      },
    });
    const id = created.body.id;
    const createRequestId = created.headers.get("x-request-id");
    const metadata = await admin(app, "POST", "/admin/commands/SetMetadata", {
      body: { identity_id: id, metadata_public: { tier: 1 } },
    });
    const deactivated = await admin(app, "POST", "/admin/commands/DeactivateIdentity", {
      body: { identity_id: id },
    });

    const history = await admin(app, "GET", `/admin/identities/${id}/events`);
    expect(history.status, history.text).toBe(200);
    expect(history.body.map((event: { type: string }) => event.type)).toEqual([
      "IdentityCreated",
      "IdentityMetadataUpdated",
      "IdentityDeactivated",
    ]);
    expect(history.body.map((event: { version: number }) => event.version)).toEqual([1, 2, 3]);
    for (const event of history.body) {
      expect(event.metadata.actor).toEqual({
        type: "admin",
        id: "bootstrap",
        authMethod: "api_key",
      });
      expect(typeof event.recorded_at).toBe("string");
    }
    const correlationIds = history.body.map(
      (event: { metadata: { correlation_id: string } }) => event.metadata.correlation_id,
    );
    expect(correlationIds).toEqual([
      createRequestId,
      metadata.headers.get("x-request-id"),
      deactivated.headers.get("x-request-id"),
    ]);
    expect(history.body[0].metadata.request_id).toBe(createRequestId);
    expect(history.body[0].data.traits).toEqual({ email: "events@example.com" });
    expect(history.body[0].data.credentials.password.config.hashedPassword).toBe("[redacted]");
  });

  it("pages the history by version", async () => {
    const created = await createIdentity(app, { traits: { email: "pages@example.com" } });
    for (const tier of [1, 2, 3]) {
      await admin(app, "POST", "/admin/commands/SetMetadata", {
        body: { identity_id: created.id, metadata_admin: { tier } },
      });
    }
    const first = await admin(app, "GET", `/admin/identities/${created.id}/events?page_size=2`);
    expect(first.body).toHaveLength(2);
    const next = /<([^>]+)>; rel="next"/.exec(first.headers.get("link") ?? "")?.[1];
    expect(next).toContain("from_version=3");
    const second = await admin(app, "GET", next!);
    expect(second.body.map((event: { version: number }) => event.version)).toEqual([3, 4]);
  });

  it("verifies the hash chain", async () => {
    const created = await createIdentity(app, { traits: { email: "chain@example.com" } });
    await admin(app, "POST", "/admin/commands/DeactivateIdentity", {
      body: { identity_id: created.id },
    });
    const verified = await admin(app, "GET", `/admin/identities/${created.id}/verify`);
    expect(verified.status).toBe(200);
    expect(verified.body).toEqual({
      stream_id: `identity-${created.id}`,
      valid: true,
      checked: 2,
    });

    const unknown = await admin(
      app,
      "GET",
      "/admin/identities/00000000-0000-4000-8000-000000000000/verify",
    );
    expectError(unknown, 404, "not_found");
  });

  it("redacts codes and links of old events", async () => {
    const created = await createIdentity(app, { traits: { email: "legacy@example.com" } });
    const link = `${app.publicUrl}/self-service/recovery?flow=${randomUUID()}&token=${"t".repeat(43)}`;
    // Events recorded before the courier kept codes outside the log carry them in their data.
    const legacy = await app.registrar.personalData.codec.encryptEvent(
      created.id,
      {
        eventId: randomUUID(),
        type: "RecoveryMessageRequested",
        data: {
          identityId: created.id,
          messageId: randomUUID(),
          flowId: randomUUID(),
          template: "recovery_code_valid",
          address: "legacy@example.com",
          code: "381924",
          link,
          extra: { token: "opaque-token", secret: 1234, code: { identifiers: ["id@example.com"] } },
          expiresAt: new Date(Date.now() - 60_000).toISOString(),
        },
        metadata: {
          correlationId: randomUUID(),
          causationId: null,
          actor: { type: "anonymous" },
          occurredAt: new Date().toISOString(),
        },
      },
      ["address", "code", "link"],
    );
    await app.registrar.store.append(`identity-${created.id}`, "any", [legacy]);

    const history = await admin(app, "GET", `/admin/identities/${created.id}/events`);
    expect(history.status, history.text).toBe(200);
    const request = history.body.at(-1);
    expect(request.type).toBe("RecoveryMessageRequested");
    expect(request.data.code).toBe("[redacted]");
    expect(request.data.link).toBe("[redacted]");
    expect(request.data.extra.token).toBe("[redacted]");
    expect(request.data.extra.secret).toBe("[redacted]");
    expect(request.data.extra.code).toEqual({ identifiers: ["id@example.com"] });
    expect(request.data.address).toBe("legacy@example.com");
    expect(history.text).not.toContain("381924");
    expect(history.text).not.toContain("opaque-token");
    expect(history.text).not.toContain("t".repeat(43));
  });

  it("rejects a time that is not RFC 3339", async () => {
    const created = await createIdentity(app, { traits: { email: "when@example.com" } });
    for (const at of ["", "yesterday", "2025-13-45T99:00:00Z", "1700000000"]) {
      const response = await admin(
        app,
        "GET",
        `/admin/identities/${created.id}/state?at=${encodeURIComponent(at)}`,
      );
      expectError(response, 400, "bad_request");
    }
  });
});
