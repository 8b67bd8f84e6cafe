import type { IdentityApi } from "@ory/client";
import { isAxiosError } from "axios";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../support/app.ts";
import { admin, identityApiOf, startAdminTestApp } from "./support.ts";

let app: TestApp;
let identities: IdentityApi;

beforeAll(async () => {
  app = await startAdminTestApp("admin_sdk");
  identities = identityApiOf(app);
});

afterAll(async () => {
  await app?.close();
});

async function statusOf(request: Promise<unknown>): Promise<number | undefined> {
  try {
    await request;
    return 200;
  } catch (error) {
    if (isAxiosError(error)) return error.response?.status;
    throw error;
  }
}

describe("IdentityApi of @ory/client", () => {
  it("reads identity schemas from the admin port", async () => {
    const listed = await identities.listIdentitySchemas();
    expect(listed.status).toBe(200);
    expect(listed.data.map((container) => container.id)).toContain("default");
    const schema = await identities.getIdentitySchema({ id: "default" });
    expect(schema.status).toBe(200);
    expect(schema.data).toMatchObject({ type: "object" });

    // The SDK sends no key for these two operations, and Kratos serves them without one.
    const bare = await fetch(`${app.adminUrl}/schemas/default`);
    expect(bare.status).toBe(200);
    const guarded = await fetch(`${app.adminUrl}/admin/identities`);
    expect(guarded.status).toBe(401);
    const posted = await fetch(`${app.adminUrl}/schemas/default`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: '{"a": [',
    });
    expect(posted.status).toBe(401);
  });

  it("creates, reads, lists, patches and deletes", async () => {
    const created = await identities.createIdentity({
      createIdentityBody: {
        schema_id: "default",
        traits: { email: "Sdk.User@Example.com", name: { first: "Ada" } },
        metadata_public: { plan: "pro" },
        metadata_admin: { note: "vip" },
        credentials: { password: { config: { password: "a long and unusual passphrase 42" } } },
      },
    });
    expect(created.status).toBe(201);
    const id = created.data.id;
    expect(created.data.traits.email).toBe("Sdk.User@Example.com");
    expect(created.data.verifiable_addresses?.[0]?.value).toBe("sdk.user@example.com");
    expect(created.data.metadata_admin).toEqual({ note: "vip" });
    expect(created.data.credentials?.password?.identifiers).toEqual(["sdk.user@example.com"]);
    expect(created.data.credentials?.password?.config).toBeUndefined();

    const read = await identities.getIdentity({ id, includeCredential: ["password"] });
    expect(read.data.id).toBe(id);
    const hash = (read.data.credentials?.password?.config as { hashed_password?: string })
      ?.hashed_password;
    expect(hash).toMatch(/^\$argon2id\$/);

    const listed = await identities.listIdentities({ pageSize: 10 });
    expect(listed.data.map((identity) => identity.id)).toContain(id);

    const byIdentifier = await identities.listIdentities({
      credentialsIdentifier: "  SDK.user@example.COM ",
    });
    expect(byIdentifier.data.map((identity) => identity.id)).toEqual([id]);

    const patched = await identities.patchIdentity({
      id,
      jsonPatch: [
        { op: "replace", path: "/traits/name/first", value: "Augusta" },
        { op: "replace", path: "/state", value: "inactive" },
        { op: "add", path: "/metadata_public/tier", value: 2 },
      ],
    });
    expect(patched.data.traits.name.first).toBe("Augusta");
    expect(patched.data.state).toBe("inactive");
    expect(patched.data.metadata_public).toEqual({ plan: "pro", tier: 2 });
    expect(patched.data.state_changed_at).toBeDefined();

    const reread = await identities.getIdentity({ id });
    expect(reread.data.traits.name.first).toBe("Augusta");

    const deleted = await identities.deleteIdentity({ id });
    expect(deleted.status).toBe(204);
    expect(await statusOf(identities.getIdentity({ id }))).toBe(404);
    expect(await statusOf(identities.deleteIdentity({ id }))).toBe(404);
  });

  it("answers 409 on a duplicate identifier", async () => {
    await identities.createIdentity({
      createIdentityBody: { schema_id: "default", traits: { email: "twice@example.com" } },
    });
    const second = await admin(app, "POST", "/admin/identities", {
      body: { schema_id: "default", traits: { email: "TWICE@example.com" } },
    });
    expect(second.status).toBe(409);
    expect(second.body.error.id).toBe("conflict");
    expect(second.body.error.message).toBe(
      "This identity conflicts with another identity that already exists.",
    );
  });

  it("answers 409 on a duplicate external id", async () => {
    const first = await admin(app, "POST", "/admin/identities", {
      body: { schema_id: "default", traits: { email: "ext1@example.com" }, external_id: "crm-7" },
    });
    expect(first.status).toBe(201);
    const found = await admin(app, "GET", "/admin/identities/by/external/crm-7");
    expect(found.status).toBe(200);
    expect(found.body.id).toBe(first.body.id);

    const second = await admin(app, "POST", "/admin/identities", {
      body: { schema_id: "default", traits: { email: "ext2@example.com" }, external_id: "crm-7" },
    });
    expect(second.status).toBe(409);
    expect(second.body.error.details.claim_type).toBe("external_id");
  });

  it("replaces an identity with PUT", async () => {
    const created = await admin(app, "POST", "/admin/identities", {
      body: {
        schema_id: "default",
        traits: { email: "put@example.com" },
        metadata_public: { a: 1 },
        external_id: "put-1",
      },
    });
    const id = created.body.id;
    const replaced = await admin(app, "PUT", `/admin/identities/${id}`, {
      body: { schema_id: "default", traits: { email: "put2@example.com" }, state: "active" },
    });
    expect(replaced.status, replaced.text).toBe(200);
    expect(replaced.body.traits).toEqual({ email: "put2@example.com" });
    expect(replaced.body.metadata_public).toBeNull();
    expect(replaced.body.external_id).toBe("put-1");
    expect(replaced.body.verifiable_addresses.map((a: { value: string }) => a.value)).toEqual([
      "put2@example.com",
    ]);

    const byOld = await admin(
      app,
      "GET",
      "/admin/identities?credentials_identifier=put@example.com",
    );
    expect(byOld.body).toEqual([]);
  });

  it("marks an address verified through JSON Patch", async () => {
    const created = await admin(app, "POST", "/admin/identities", {
      body: { schema_id: "default", traits: { email: "verify-me@example.com" } },
    });
    expect(created.body.verifiable_addresses[0].verified).toBe(false);
    const patched = await admin(app, "PATCH", `/admin/identities/${created.body.id}`, {
      body: [{ op: "replace", path: "/verifiable_addresses/0/verified", value: true }],
    });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body.verifiable_addresses[0].verified).toBe(true);
    expect(patched.body.verifiable_addresses[0].status).toBe("completed");
  });

  it("imports verified addresses on create", async () => {
    const created = await admin(app, "POST", "/admin/identities", {
      body: {
        schema_id: "default",
        traits: { email: "verified@example.com" },
        verifiable_addresses: [
          { value: "Verified@Example.com", via: "email", verified: true, status: "completed" },
        ],
      },
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body.verifiable_addresses[0].verified).toBe(true);
    expect(created.body.verifiable_addresses[0].verified_at).toBeDefined();
  });
});
