import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ERASED, isErased } from "../../src/personal-data/erased.ts";
import { FieldCipher } from "../../src/personal-data/field-cipher.ts";
import { PostgresKeyStore } from "../../src/personal-data/postgres-key-store.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { freshKeyring, rejectionCode } from "./fixtures.ts";

const eventType = "IdentityRegistered";
const base64UrlAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

let database: TestDatabase;
let keys: PostgresKeyStore;
let cipher: FieldCipher;

beforeAll(async () => {
  database = await createTestDatabase("pd_field_cipher");
  keys = new PostgresKeyStore({ pool: database.pool, keyring: freshKeyring().keyring });
  cipher = new FieldCipher(keys);
});

afterAll(async () => {
  await database.drop();
});

describe("field cipher", () => {
  it("round-trips a string", async () => {
    const subjectId = randomUUID();
    const token = await cipher.encryptField(subjectId, eventType, "data.email", "ada@example.com");

    expect(token.startsWith(`pd1.${subjectId}.`)).toBe(true);
    expect(token).not.toContain("ada@example.com");
    expect(await cipher.decryptField(eventType, "data.email", token)).toBe("ada@example.com");
  });

  it("round-trips an object", async () => {
    const subjectId = randomUUID();
    const traits = { email: "ada@example.com", name: { first: "Ada", last: "Lovelace" }, age: 36 };
    const token = await cipher.encryptField(subjectId, eventType, "data.traits", traits);

    expect(await cipher.decryptField(eventType, "data.traits", token)).toEqual(traits);
  });

  it("round-trips null, numbers and unicode", async () => {
    const subjectId = randomUUID();
    for (const value of [null, 0, -1.5, true, "", "Zoë 👩‍💻", ["a", 1]]) {
      const token = await cipher.encryptField(subjectId, eventType, "data.value", value);
      expect(await cipher.decryptField(eventType, "data.value", token)).toEqual(value);
    }
  });

  it("uses a fresh IV per encryption", async () => {
    const subjectId = randomUUID();
    const first = await cipher.encryptField(subjectId, eventType, "data.email", "same");
    const second = await cipher.encryptField(subjectId, eventType, "data.email", "same");

    expect(first).not.toBe(second);
  });

  it("rejects another event type", async () => {
    const token = await cipher.encryptField(randomUUID(), eventType, "data.email", "a@b.example");

    expect(await rejectionCode(cipher.decryptField("IdentityUpdated", "data.email", token))).toBe(
      "field_authentication_failed",
    );
  });

  it("rejects another field", async () => {
    const token = await cipher.encryptField(randomUUID(), eventType, "data.email", "a@b.example");

    expect(await rejectionCode(cipher.decryptField(eventType, "data.name", token))).toBe(
      "field_authentication_failed",
    );
  });

  it("rejects a token moved to another subject", async () => {
    const victim = randomUUID();
    const attacker = randomUUID();
    await keys.getOrCreateKey(attacker);
    const token = await cipher.encryptField(victim, eventType, "data.email", "a@b.example");
    const moved = token.replace(victim, attacker);

    expect(await rejectionCode(cipher.decryptField(eventType, "data.email", moved))).toBe(
      "field_authentication_failed",
    );
  });

  it("rejects every changed character", async () => {
    const subjectId = randomUUID();
    const encryptedStart = `pd1.${subjectId}.`.length;
    // Three lengths cover every base64 padding case, including spare bits in the last character.
    for (const value of ["ada@example.com", "ada@example.co", "ada@example.c"]) {
      const token = await cipher.encryptField(subjectId, eventType, "data.email", value);
      for (let index = encryptedStart; index < token.length; index++) {
        if (token[index] === ".") continue;
        const next = (base64UrlAlphabet.indexOf(token[index]!) + 1) % 64;
        const changed = token.slice(0, index) + base64UrlAlphabet[next] + token.slice(index + 1);
        const code = await rejectionCode(cipher.decryptField(eventType, "data.email", changed));
        expect(
          ["field_authentication_failed", "malformed_ciphertext"],
          `${value} ${index}`,
        ).toContain(code);
      }
    }
  });

  it("rejects malformed tokens", async () => {
    const subjectId = randomUUID();
    const token = await cipher.encryptField(subjectId, eventType, "data.email", "ada@example.com");
    const [, , iv, sealed] = token.split(".");
    const malformed = [
      "pd1.",
      `pd1.${subjectId}`,
      `pd1.${subjectId}.${iv}`,
      `pd1.${subjectId}.${iv}.${sealed}.extra`,
      `pd1.${subjectId}.${iv}.${sealed}=`,
      `pd1.${subjectId}.${iv!.slice(2)}.${sealed}`,
      `pd1.${subjectId}.${iv}.${sealed!.slice(0, 20)}`,
      `pd1.${subjectId}.${iv}.${sealed!.replace(/./, "+")}`,
      `pd1.bad subject.${iv}.${sealed}`,
      `pd2.${subjectId}.${iv}.${sealed}`,
    ];
    for (const value of malformed) {
      expect(await rejectionCode(cipher.decryptField(eventType, "data.email", value)), value).toBe(
        "malformed_ciphertext",
      );
    }
  });

  it("returns the erased marker after destroy", async () => {
    const subjectId = randomUUID();
    const token = await cipher.encryptField(subjectId, eventType, "data.traits", { a: 1 });

    await keys.destroy(subjectId);
    const value = await cipher.decryptField(eventType, "data.traits", token);

    expect(value).toBe(ERASED);
    expect(isErased(value)).toBe(true);
    expect(isErased({ a: 1 })).toBe(false);
  });

  it("rejects a subject that never had a key", async () => {
    const token = await cipher.encryptField(randomUUID(), eventType, "data.email", "a@b.example");
    const [, subjectId] = token.split(".");
    const unknown = token.replace(subjectId!, randomUUID());

    expect(await rejectionCode(cipher.decryptField(eventType, "data.email", unknown))).toBe(
      "missing_data_key",
    );
  });

  it("rejects encryption for erased subject", async () => {
    const subjectId = randomUUID();
    await cipher.encryptField(subjectId, eventType, "data.email", "a@b.example");
    await keys.destroy(subjectId);

    expect(await rejectionCode(cipher.encryptField(subjectId, eventType, "data.email", "x"))).toBe(
      "subject_erased",
    );
  });
});
