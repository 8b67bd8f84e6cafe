import { randomUUID } from "node:crypto";
import type { DeleteIdentityCredentialsTypeEnum, IdentityApi } from "@ory/client";
import { isAxiosError } from "axios";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../support/app.ts";
import {
  admin,
  countEvents,
  createIdentity,
  expectError,
  identityApiOf,
  readOnlyKey,
  startAdminTestApp,
} from "./support.ts";

let app: TestApp;
let identities: IdentityApi;
const password = "a long and unusual passphrase 42";

beforeAll(async () => {
  app = await startAdminTestApp("admin_identity_credentials");
  identities = identityApiOf(app);
});

afterAll(async () => {
  await app?.close();
});

/** Deletes a credential through the SDK and returns the error status, id and message. */
async function deleteCredential(id: string, type: string, identifier?: string) {
  try {
    await identities.deleteIdentityCredentials({
      id,
      type: type as DeleteIdentityCredentialsTypeEnum,
      ...(identifier !== undefined && { identifier }),
    });
  } catch (error) {
    if (!isAxiosError(error)) throw error;
    const body = error.response?.data;
    return { status: error.response?.status, id: body?.error?.id, message: body?.error?.message };
  }
  return { status: 204, id: undefined, message: undefined };
}

async function identityWithPassword(email: string): Promise<string> {
  const credentials = { password: { config: { password } } };
  return (await createIdentity(app, { traits: { email }, credentials })).id;
}

describe("DELETE /admin/identities/{id}/credentials/{type}", () => {
  it("keeps the only first-factor password", async () => {
    const id = await identityWithPassword("only-password@example.com");
    const eventsBefore = await countEvents(app);

    const rejected = await deleteCredential(id, "password");
    expect(rejected.status).toBe(400);
    expect(rejected.id).toBe("bad_request");
    expect(rejected.message).toContain("only first-factor credential");

    const read = await identities.getIdentity({ id, includeCredential: ["password"] });
    const config = read.data.credentials?.password?.config as { hashed_password?: string };
    expect(config.hashed_password).toMatch(/^\$argon2id\$/);
    expect(await countEvents(app)).toBe(eventsBefore);
  });

  it("answers 404 for types not set up", async () => {
    const id = await identityWithPassword("no-other-types@example.com");
    const withoutPassword = await createIdentity(app, {
      traits: { email: "no-password@example.com" },
    });
    const eventsBefore = await countEvents(app);

    const cases: [string, string][] = [
      [id, "totp"],
      [id, "lookup_secret"],
      [id, "webauthn"],
      [id, "oidc"],
      [id, "saml"],
      [id, "profile"],
      [id, "deviceauthn"],
      [id, "identifier_first"],
      [id, "link_recovery"],
      [id, "code_recovery"],
      [withoutPassword.id, "password"],
    ];
    for (const [identityId, type] of cases) {
      const response = await deleteCredential(identityId, type, "google:subject");
      expect(response.status, type).toBe(404);
      expect(response.id, type).toBe("not_found");
      expect(response.message, type).toContain(`no ${type} credential`);
    }
    expect(await countEvents(app)).toBe(eventsBefore);
  });

  it("rejects code and passkey credentials", async () => {
    const id = await identityWithPassword("not-deletable@example.com");
    for (const type of ["code", "passkey"]) {
      const response = await deleteCredential(id, type);
      expect(response.status, type).toBe(400);
      expect(response.id, type).toBe("bad_request");
      expect(response.message, type).toContain("cannot be deleted");
    }
  });

  it("rejects unknown credential types", async () => {
    const id = await identityWithPassword("unknown-type@example.com");
    for (const type of ["magic", "Password", "credentials"]) {
      const response = await deleteCredential(id, type);
      expect(response.status, type).toBe(400);
      expect(response.id, type).toBe("bad_request");
      expect(response.message, type).toContain("is unknown");
    }
  });

  it("answers 404 for missing identities", async () => {
    const deleted = await identityWithPassword("deleted@example.com");
    await identities.deleteIdentity({ id: deleted });
    for (const id of [randomUUID(), deleted]) {
      const response = await deleteCredential(id, "password");
      expect(response.status).toBe(404);
      expect(response.id).toBe("not_found");
      expect(response.message).toContain("identity could not be found");
    }
    const path = "/admin/identities/not-a-uuid/credentials/password";
    expectError(await admin(app, "DELETE", path), 404, "not_found");
  });

  it("rejects a repeated identifier", async () => {
    const id = await identityWithPassword("repeated-identifier@example.com");
    const path = `/admin/identities/${id}/credentials/oidc?identifier=a&identifier=b`;
    expectError(await admin(app, "DELETE", path), 400, "bad_request");
  });

  it("requires the identities:write scope", async () => {
    const id = await identityWithPassword("scope@example.com");
    const path = `/admin/identities/${id}/credentials/password`;
    expectError(await admin(app, "DELETE", path, { key: null }), 401, "unauthorized");
    expectError(await admin(app, "DELETE", path, { key: readOnlyKey }), 403, "forbidden");
  });
});
