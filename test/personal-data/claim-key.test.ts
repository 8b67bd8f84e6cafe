import { randomBytes } from "node:crypto";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { ClaimKeyHasher } from "../../src/personal-data/claim-key.ts";
import { createPersonalData } from "../../src/personal-data/create-personal-data.ts";
import { errorCode } from "./fixtures.ts";

describe("claim keys", () => {
  const secret = randomBytes(32);
  const hasher = new ClaimKeyHasher(secret);

  it("returns the same key for the same value", () => {
    const key = hasher.claimKey("email", "ada@example.com");

    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new ClaimKeyHasher(Buffer.from(secret)).claimKey("email", "ada@example.com")).toBe(key);
  });

  it("never contains the plaintext", () => {
    expect(hasher.claimKey("email", "ada@example.com")).not.toContain("example");
  });

  it("separates claim types and values", () => {
    const keys = new Set([
      hasher.claimKey("email", "ada@example.com"),
      hasher.claimKey("username", "ada@example.com"),
      hasher.claimKey("email", "bob@example.com"),
      hasher.claimKey("email:a", "b"),
      hasher.claimKey("email", "a:b"),
    ]);

    expect(keys.size).toBe(5);
  });

  it("differs under another secret", () => {
    const other = new ClaimKeyHasher(randomBytes(32));

    expect(other.claimKey("email", "ada@example.com")).not.toBe(
      hasher.claimKey("email", "ada@example.com"),
    );
  });

  it("stays fixed across master key rotation", async () => {
    const oldMasterKey = randomBytes(32);
    // Claim keys never query, so this pool never connects.
    const pool = new pg.Pool({ connectionString: "postgres://postgres@127.0.0.1:5432/unused" });
    const before = createPersonalData(pool, { masterKey: oldMasterKey, claimKeySecret: secret });
    const after = createPersonalData(pool, {
      masterKey: randomBytes(32),
      previousMasterKeys: [oldMasterKey],
      claimKeySecret: secret,
    });

    expect(after.claims.claimKey("email", "ada@example.com")).toBe(
      before.claims.claimKey("email", "ada@example.com"),
    );
    await pool.end();
  });

  it("rejects a secret that is not 32 bytes", () => {
    expect(errorCode(() => new ClaimKeyHasher(randomBytes(16)))).toBe("invalid_master_key");
  });
});
