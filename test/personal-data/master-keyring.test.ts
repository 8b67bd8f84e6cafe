import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  createMasterKeyring,
  masterKeyId,
  unwrapDataKey,
  wrapDataKey,
} from "../../src/personal-data/master-keyring.ts";
import { errorCode } from "./fixtures.ts";

describe("master keyring", () => {
  it("derives ids from the key hash", () => {
    const key = randomBytes(32);
    const id = masterKeyId(key);

    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(id).toBe(createHash("sha256").update(key).digest("hex").slice(0, 16));
    expect(key.toString("hex")).not.toContain(id);
    expect(masterKeyId(randomBytes(32))).not.toBe(id);
  });

  it("rejects keys that are not 32 bytes", () => {
    expect(errorCode(() => createMasterKeyring({ current: randomBytes(16) }))).toBe(
      "invalid_master_key",
    );
    const current = randomBytes(32);
    expect(errorCode(() => createMasterKeyring({ current, previous: [randomBytes(31)] }))).toBe(
      "invalid_master_key",
    );
  });

  it("rejects a key listed twice", () => {
    const current = randomBytes(32);
    expect(
      errorCode(() => createMasterKeyring({ current, previous: [Buffer.from(current)] })),
    ).toBe("invalid_master_key");
  });

  it("wraps and unwraps a data key", () => {
    const keyring = createMasterKeyring({ current: randomBytes(32) });
    const dataKey = randomBytes(32);
    const wrapped = wrapDataKey(keyring, "subject-1", dataKey);

    expect(wrapped.masterKeyId).toBe(keyring.currentId);
    expect(wrapped.wrappedKey.length).toBe(60);
    expect(wrapped.wrappedKey.includes(dataKey)).toBe(false);
    expect(unwrapDataKey(keyring, "subject-1", wrapped).equals(dataKey)).toBe(true);
  });

  it("unwraps with a previous key", () => {
    const old = randomBytes(32);
    const wrapped = wrapDataKey(
      createMasterKeyring({ current: old }),
      "subject-1",
      randomBytes(32),
    );
    const rotated = createMasterKeyring({ current: randomBytes(32), previous: [old] });

    expect(unwrapDataKey(rotated, "subject-1", wrapped).length).toBe(32);
  });

  it("rejects a wrapped key under another subject", () => {
    const keyring = createMasterKeyring({ current: randomBytes(32) });
    const wrapped = wrapDataKey(keyring, "subject-1", randomBytes(32));

    expect(errorCode(() => unwrapDataKey(keyring, "subject-2", wrapped))).toBe("key_unwrap_failed");
  });

  it("rejects a changed wrapped key", () => {
    const keyring = createMasterKeyring({ current: randomBytes(32) });
    const wrapped = wrapDataKey(keyring, "subject-1", randomBytes(32));
    for (let index = 0; index < wrapped.wrappedKey.length; index++) {
      const changed = Buffer.from(wrapped.wrappedKey);
      changed[index]! ^= 0x01;
      const stored = { wrappedKey: changed, masterKeyId: wrapped.masterKeyId };
      expect(errorCode(() => unwrapDataKey(keyring, "subject-1", stored))).toBe(
        "key_unwrap_failed",
      );
    }
  });

  it("rejects a key wrapped under an unknown master key", () => {
    const wrapped = wrapDataKey(
      createMasterKeyring({ current: randomBytes(32) }),
      "subject-1",
      randomBytes(32),
    );
    const other = createMasterKeyring({ current: randomBytes(32) });

    expect(errorCode(() => unwrapDataKey(other, "subject-1", wrapped))).toBe("unknown_master_key");
  });
});
