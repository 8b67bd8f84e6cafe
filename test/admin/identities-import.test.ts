import { pbkdf2Sync, randomBytes } from "node:crypto";
import argon2 from "argon2";
import bcrypt from "bcryptjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../support/app.ts";
import {
  admin,
  countEvents,
  expectError,
  loginThroughPublicApi,
  startAdminTestApp,
} from "./support.ts";

let app: TestApp;
const password = "correct horse battery staple 9";

beforeAll(async () => {
  app = await startAdminTestApp("admin_import");
});

afterAll(async () => {
  await app?.close();
});

function pbkdf2Hash(secret: string): string {
  const salt = randomBytes(16);
  const key = pbkdf2Sync(secret, salt, 1000, 32, "sha256");
  return `$pbkdf2-sha256$i=1000,l=32$${salt.toString("base64")}$${key.toString("base64")}`;
}

async function importIdentity(email: string, hashedPassword: string) {
  return admin(app, "POST", "/admin/identities", {
    body: {
      schema_id: "default",
      traits: { email },
      credentials: { password: { config: { hashed_password: hashedPassword } } },
    },
  });
}

describe("password import", () => {
  const cases = [
    {
      name: "argon2i",
      email: "argon@example.com",
      hash: () => argon2.hash(password, { type: argon2.argon2i, memoryCost: 1024, timeCost: 2 }),
    },
    { name: "bcrypt", email: "bcrypt@example.com", hash: async () => bcrypt.hashSync(password, 4) },
    { name: "pbkdf2", email: "pbkdf2@example.com", hash: async () => pbkdf2Hash(password) },
  ];

  for (const testCase of cases) {
    it(`imports a ${testCase.name} hash that signs in`, async () => {
      const hash = await testCase.hash();
      const created = await importIdentity(testCase.email, hash);
      expect(created.status, created.text).toBe(201);

      const read = await admin(
        app,
        "GET",
        `/admin/identities/${created.body.id}?include_credential=password`,
      );
      expect(read.body.credentials.password.config.hashed_password).toBe(hash);

      const login = await loginThroughPublicApi(app, testCase.email, password);
      expect(login.status, login.text).toBe(200);
      expect(login.body.session.identity.id).toBe(created.body.id);
      expect(login.body.session_token).toMatch(/^rgst_/);

      const wrong = await loginThroughPublicApi(app, testCase.email, `${password}!`);
      expect(wrong.status).toBe(400);
    });
  }

  it("rejects a malformed hash", async () => {
    const before = await countEvents(app);
    const response = await importIdentity("bad-hash@example.com", "$argon2id$v=19$m=oops");
    expectError(response, 400, "bad_request");
    expect(response.body.error.details.failure).toBe("malformed_hash");
    expect(await countEvents(app)).toBe(before);
  });

  it("rejects a hash it cannot verify", async () => {
    const before = await countEvents(app);
    const response = await importIdentity(
      "md5-crypt@example.com",
      "$md5-crypt$saltsalt$0123456789abcdefghijkl",
    );
    expectError(response, 400, "bad_request");
    expect(response.body.error.details.failure).toBe("unsupported_algorithm");
    expect(await countEvents(app)).toBe(before);
  });

  it("hashes a plaintext password under the policy", async () => {
    const short = await admin(app, "POST", "/admin/identities", {
      body: {
        schema_id: "default",
        traits: { email: "short@example.com" },
        credentials: { password: { config: { password: "short" } } },
      },
    });
    expectError(short, 400, "bad_request");
    expect(short.body.error.details.message_id).toBe(4000032);

    const created = await admin(app, "POST", "/admin/identities", {
      body: {
        schema_id: "default",
        traits: { email: "plain@example.com" },
        credentials: { password: { config: { password } } },
      },
    });
    expect(created.status, created.text).toBe(201);
    const login = await loginThroughPublicApi(app, "plain@example.com", password);
    expect(login.status, login.text).toBe(200);
  });

  it("rejects credential types it cannot import", async () => {
    const response = await admin(app, "POST", "/admin/identities", {
      body: {
        schema_id: "default",
        traits: { email: "oidc@example.com" },
        credentials: { oidc: { config: { providers: [{ provider: "x", subject: "1" }] } } },
      },
    });
    expectError(response, 400, "bad_request");
    expect(response.body.error.details.credential_type).toBe("oidc");
  });
});
