import { createHash, randomBytes, scryptSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { identityStreamId } from "../../src/domain/identity/stream.ts";
import { messageIds } from "../self-service/support.ts";
import type { TestApp } from "../support/app.ts";
import {
  admin,
  countEvents,
  expectError,
  loginThroughPublicApi,
  startAdminTestApp,
} from "./support.ts";

let app: TestApp;
const password = "an imported legacy passphrase 3";
const wrongPassword = `${password}!`;

beforeAll(async () => {
  app = await startAdminTestApp("admin_import_legacy");
});

afterAll(async () => {
  await app?.close();
});

const base64 = (bytes: Buffer) => bytes.toString("base64");
const md5 = (message: string) => createHash("md5").update(message).digest();

function scryptHash(secret: string, salt = randomBytes(16)): string {
  const key = scryptSync(secret, salt, 32, { N: 16384, r: 8, p: 1 });
  return `$scrypt$ln=16384,r=8,p=1$${base64(salt)}$${base64(key)}`;
}

function sshaHash(scheme: string, digest: string, secret: string, salt = randomBytes(8)): string {
  const hash = createHash(digest).update(secret).update(salt).digest();
  return `{${scheme}}${base64(Buffer.concat([hash, salt]))}`;
}

function saltedMd5Hash(template: string, salt: string, digest: Buffer): string {
  const encodedTemplate = base64(Buffer.from(template));
  return `$md5$pf=${encodedTemplate}$${base64(Buffer.from(salt))}$${base64(digest)}`;
}

function importIdentity(email: string, hashedPassword: string) {
  return admin(app, "POST", "/admin/identities", {
    body: {
      schema_id: "default",
      traits: { email },
      credentials: { password: { config: { hashed_password: hashedPassword } } },
    },
  });
}

async function storedHashOf(identityId: string): Promise<string | undefined> {
  const loaded = await app.registrar.identities.load(identityId);
  if (loaded.state.status !== "existing") return undefined;
  return loaded.state.identity.credentials.password?.config.hashedPassword;
}

describe("legacy hash import", () => {
  const cases: { name: string; hash: () => string }[] = [
    { name: "scrypt", hash: () => scryptHash(password) },
    { name: "ssha", hash: () => sshaHash("SSHA", "sha1", password) },
    { name: "ssha256", hash: () => sshaHash("SSHA256", "sha256", password) },
    { name: "ssha512", hash: () => sshaHash("SSHA512", "sha512", password) },
    { name: "md5", hash: () => `$md5$${base64(md5(password))}` },
    {
      name: "salted-md5",
      hash: () => saltedMd5Hash("{SALT}:{PASSWORD}", "na-cl-42", md5(`na-cl-42:${password}`)),
    },
  ];

  for (const { name, hash: makeHash } of cases) {
    it(`signs in with ${name} and rehashes`, async () => {
      const email = `${name}@example.com`;
      const hash = makeHash();
      const created = await importIdentity(email, hash);
      expect(created.status, created.text).toBe(201);
      const identityId: string = created.body.id;
      expect(await storedHashOf(identityId)).toBe(hash);

      const wrong = await loginThroughPublicApi(app, email, wrongPassword);
      expect(wrong.status, wrong.text).toBe(400);
      expect(messageIds(wrong.body.ui.messages)).toEqual([4000006]);

      const login = await loginThroughPublicApi(app, email, password);
      expect(login.status, login.text).toBe(200);
      expect(login.body.session.identity.id).toBe(identityId);

      expect(await storedHashOf(identityId)).toMatch(/^\$argon2id\$v=19\$/);
      const events = await app.registrar.store.readStream(identityStreamId(identityId));
      const rehash = events.find((event) => event.type === "PasswordChanged");
      expect(rehash?.metadata.actor).toEqual({ type: "system", id: "password-rehash" });

      const again = await loginThroughPublicApi(app, email, password);
      expect(again.status, again.text).toBe(200);
      const wrongAfter = await loginThroughPublicApi(app, email, wrongPassword);
      expect(messageIds(wrongAfter.body.ui.messages)).toEqual([4000006]);
    });
  }

  const salt = base64(randomBytes(16));
  const key = base64(randomBytes(32));
  const rejected: [string, string][] = [
    ["scrypt with bad base64", `$scrypt$ln=16384,r=8,p=1$${salt}$${key.slice(0, -2)}!=`],
    ["scrypt with short salt", scryptHash(password, randomBytes(4))],
    ["scrypt with 256 MiB", `$scrypt$ln=262144,r=8,p=1$${salt}$${key}`],
    ["scrypt with log2 N", `$scrypt$ln=14,r=8,p=1$${salt}$${key}`],
    ["ssha with short salt", sshaHash("SSHA", "sha1", password, randomBytes(3))],
    ["ssha with bad base64", `{SSHA256}${key.slice(0, -2)}*=`],
    ["ssha overlong", `{SSHA512}${base64(randomBytes(600))}`],
    ["md5 template without password", saltedMd5Hash("{SALT}", "na-cl-42", md5("na-cl-42"))],
    ["md5 with short salt", saltedMd5Hash("{SALT}{PASSWORD}", "abc", md5(`abc${password}`))],
    ["md5 of wrong length", `$md5$${base64(randomBytes(20))}`],
  ];

  for (const [name, hash] of rejected) {
    it(`rejects ${name}`, async () => {
      const before = await countEvents(app);
      const response = await importIdentity(`rejected-${before}@example.com`, hash);
      expectError(response, 400, "bad_request");
      expect(response.body.error.details).toEqual({
        field: "credentials.password.config.hashed_password",
        failure: "malformed_hash",
      });
      expect(await countEvents(app)).toBe(before);
    });
  }

  it("rejects malformed hashes in batch", async () => {
    const before = await countEvents(app);
    const response = await admin(app, "PATCH", "/admin/identities", {
      body: {
        identities: rejected.map(([, hash], index) => ({
          create: {
            schema_id: "default",
            traits: { email: `batch-rejected-${index}@example.com` },
            credentials: { password: { config: { hashed_password: hash } } },
          },
        })),
      },
    });
    expect(response.status, response.text).toBe(200);
    for (const [index, [name]] of rejected.entries()) {
      const result = response.body.identities[index];
      expect(result.action, name).toBe("error");
      expect(result.error.code, name).toBe(400);
      expect(result.error.details.failure, name).toBe("malformed_hash");
    }
    expect(await countEvents(app)).toBe(before);
  });
});
