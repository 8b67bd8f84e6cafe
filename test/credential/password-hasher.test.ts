import { createHash, pbkdf2Sync, randomBytes } from "node:crypto";
import argon2 from "argon2";
import bcrypt from "bcryptjs";
import { beforeAll, describe, expect, it } from "vitest";
import {
  isHashFormatError,
  owaspArgon2Parameters,
  PasswordHasher,
  parsePasswordHash,
  testArgon2Parameters,
} from "../../src/credential/index.ts";

const password = "correct horse battery staple";
const wrong = "correct horse battery stapler";

let hasher: PasswordHasher;

beforeAll(async () => {
  hasher = await PasswordHasher.create(testArgon2Parameters);
});

function encodePbkdf2(digest: string, iterations: number, secret: string, padded = false): string {
  const salt = randomBytes(16);
  const key = pbkdf2Sync(secret, salt, iterations, 32, digest);
  const encode = (bytes: Buffer) => {
    const text = bytes.toString("base64");
    return padded ? text : text.replace(/=+$/, "");
  };
  return `$pbkdf2-${digest}$i=${iterations},l=32$${encode(salt)}$${encode(key)}`;
}

async function bcryptHash(secret: string, variant: "2a" | "2b" | "2y"): Promise<string> {
  const salt = (await bcrypt.genSalt(4)).replace(/^\$2b\$/, `$${variant}$`);
  return bcrypt.hash(secret, salt);
}

describe("argon2id", () => {
  it("hashes with OWASP defaults in PHC format", async () => {
    const owasp = await PasswordHasher.create();
    const hash = await owasp.hash(password);
    expect(hash).toMatch(
      /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/,
    );
    expect(owasp.parameters).toEqual(owaspArgon2Parameters);
  });

  it("verifies own hash", async () => {
    const hash = await hasher.hash(password);
    expect(await hasher.verify(password, hash)).toEqual({ outcome: "match", needsRehash: false });
  });

  it("rejects wrong password", async () => {
    const hash = await hasher.hash(password);
    expect(await hasher.verify(wrong, hash)).toEqual({ outcome: "mismatch" });
  });

  it("salts every hash", async () => {
    expect(await hasher.hash(password)).not.toBe(await hasher.hash(password));
  });

  it("does not normalize Unicode", async () => {
    const composed = "caf\u00e9 au lait!";
    const hash = await hasher.hash(composed);
    expect(await hasher.verify(composed.normalize("NFD"), hash)).toEqual({ outcome: "mismatch" });
  });
});

describe("argon2i", () => {
  it("verifies and asks for rehash", async () => {
    const hash = await argon2.hash(password, {
      type: argon2.argon2i,
      memoryCost: 256,
      timeCost: 2,
      parallelism: 1,
    });
    expect(hash.startsWith("$argon2i$")).toBe(true);
    expect(await hasher.verify(password, hash)).toEqual({ outcome: "match", needsRehash: true });
    expect(await hasher.verify(wrong, hash)).toEqual({ outcome: "mismatch" });
  });
});

describe("bcrypt", () => {
  for (const variant of ["2a", "2b", "2y"] as const) {
    it(`verifies $${variant}$ hash and asks for rehash`, async () => {
      const hash = await bcryptHash(password, variant);
      expect(hash.startsWith(`$${variant}$04$`)).toBe(true);
      expect(await hasher.verify(password, hash)).toEqual({ outcome: "match", needsRehash: true });
      expect(await hasher.verify(wrong, hash)).toEqual({ outcome: "mismatch" });
    });
  }

  it("accepts 72-byte password", async () => {
    const exact = "a".repeat(72);
    expect(await hasher.verify(exact, await bcryptHash(exact, "2b"))).toMatchObject({
      outcome: "match",
    });
  });

  it("rejects password longer than 72 bytes", async () => {
    // bcrypt alone would match these two on their shared 72-byte prefix.
    const stored = `${"a".repeat(72)}stored`;
    const hash = await bcryptHash(stored, "2b");
    expect(await bcrypt.compare(`${"a".repeat(72)}other`, hash)).toBe(true);
    expect(await hasher.verify(`${"a".repeat(72)}other`, hash)).toEqual({ outcome: "mismatch" });
    expect(await hasher.verify(stored, hash)).toEqual({ outcome: "mismatch" });
  });
});

describe("pbkdf2", () => {
  for (const digest of ["sha1", "sha256", "sha512"]) {
    it(`verifies pbkdf2-${digest} and asks for rehash`, async () => {
      const hash = encodePbkdf2(digest, 1000, password);
      expect(await hasher.verify(password, hash)).toEqual({ outcome: "match", needsRehash: true });
      expect(await hasher.verify(wrong, hash)).toEqual({ outcome: "mismatch" });
    });
  }

  it("accepts padded base64", async () => {
    const hash = encodePbkdf2("sha256", 1000, password, true);
    expect(hash).toContain("=");
    expect(await hasher.verify(password, hash)).toMatchObject({ outcome: "match" });
  });

  it("accepts a million iterations over the key's blocks", () => {
    const key = Buffer.alloc(32, 7).toString("base64");
    const salt = Buffer.alloc(16, 3).toString("base64");
    const twoBlocks = parsePasswordHash(`$pbkdf2-sha1$i=500000,l=32$${salt}$${key}`);
    expect(isHashFormatError(twoBlocks)).toBe(false);
    const oneBlock = parsePasswordHash(`$pbkdf2-sha256$i=1000000,l=32$${salt}$${key}`);
    expect(isHashFormatError(oneBlock)).toBe(false);
  });

  it("reads key length from hash", async () => {
    const hash = encodePbkdf2("sha256", 1000, password).replace(",l=32$", ",l=64$");
    expect(await hasher.verify(password, hash)).toMatchObject({ outcome: "match" });
  });
});

describe("invalid hashes", () => {
  const validSalt = "c2FsdHNhbHRzYWx0c2FsdA";
  const validKey = "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";
  const malformed: [string, string][] = [
    ["empty string", ""],
    ["plain text", "hunter2"],
    ["argon2id without parameters", `$argon2id$v=19$${validSalt}$${validKey}`],
    ["argon2id with bad base64", `$argon2id$v=19$m=256,t=1,p=1$!!!$${validKey}`],
    ["argon2id with impossible length", `$argon2id$v=19$m=256,t=1,p=1$${validSalt}$aGFza`],
    ["argon2id with unknown version", `$argon2id$v=20$m=256,t=1,p=1$${validSalt}$${validKey}`],
    ["argon2id with 4 GiB memory", `$argon2id$v=19$m=4194304,t=1,p=1$${validSalt}$${validKey}`],
    ["argon2id over 4 GiB of work", `$argon2id$v=19$m=1048576,t=5,p=1$${validSalt}$${validKey}`],
    ["argon2id with memory below lanes", `$argon2id$v=19$m=8,t=1,p=4$${validSalt}$${validKey}`],
    ["argon2id with short key", `$argon2id$v=19$m=256,t=1,p=1$${validSalt}$aGFzaGhhc2g`],
    ["argon2id with extra field", `$argon2id$v=19$m=256,t=1,p=1,data=eA$${validSalt}$${validKey}`],
    ["bcrypt truncated", "$2b$10$abcdefghijklmnopqrstuv"],
    ["bcrypt cost 31", `$2b$31$${"a".repeat(53)}`],
    ["bcrypt cost 14", `$2b$14$${"a".repeat(53)}`],
    ["argon2id with 512 MiB", `$argon2id$v=19$m=524288,t=1,p=1$${validSalt}$${validKey}`],
    ["pbkdf2 with 2 million iterations", `$pbkdf2-sha512$i=2000000,l=64$${validSalt}$${validKey}`],
    ["bcrypt cost 3", `$2b$03$${"a".repeat(53)}`],
    ["pbkdf2 without iterations", `$pbkdf2-sha256$l=32$${validSalt}$${validKey}`],
    ["pbkdf2 with zero iterations", `$pbkdf2-sha256$i=0,l=32$${validSalt}$${validKey}`],
    [
      "pbkdf2 with 100 million iterations",
      `$pbkdf2-sha256$i=100000000,l=32$${validSalt}$${validKey}`,
    ],
    ["pbkdf2 with short key", `$pbkdf2-sha256$i=1000,l=8$${validSalt}$aGFzaGhhc2g`],
    [
      "pbkdf2 with a 768-byte key",
      `$pbkdf2-sha1$i=1000,l=768$${validSalt}$${Buffer.alloc(768, 7).toString("base64")}`,
    ],
    [
      "pbkdf2 with a million iterations over two blocks",
      `$pbkdf2-sha1$i=1000000,l=32$${validSalt}$${Buffer.alloc(32, 7).toString("base64")}`,
    ],
  ];
  for (const [name, hash] of malformed) {
    it(`reports ${name} as malformed`, async () => {
      expect(await hasher.verify(password, hash)).toEqual({
        outcome: "invalid_hash",
        failure: "malformed_hash",
      });
      expect(hasher.needsRehash(hash)).toBe(true);
    });
  }

  const unsupported: [string, string][] = [
    ["Firebase scrypt", `$firescrypt$ln=14,r=8,p=1$${validSalt}$${validKey}$Bw==$${validKey}`],
    ["argon2d", `$argon2d$v=19$m=256,t=1,p=1$${validSalt}$${validKey}`],
    ["bcrypt $2x$", `$2x$10$${"a".repeat(53)}`],
    ["pbkdf2-md5", `$pbkdf2-md5$i=1000,l=32$${validSalt}$${validKey}`],
    ["LDAP SHA", "{SHA}c2FsdHNhbHRzYWx0c2FsdHNhbHQ="],
  ];
  for (const [name, hash] of unsupported) {
    it(`reports ${name} as unsupported`, async () => {
      expect(await hasher.verify(password, hash)).toEqual({
        outcome: "invalid_hash",
        failure: "unsupported_algorithm",
      });
    });
  }

  it("parses without throwing on hostile input", () => {
    for (const input of [
      "$",
      "$$$$$",
      "$argon2id$",
      `$2b$${"$".repeat(60)}`,
      "\u0000".repeat(10),
    ]) {
      expect(() => parsePasswordHash(input)).not.toThrow();
    }
  });
});

describe("needsRehash", () => {
  const strong = { ...testArgon2Parameters, memoryCost: 512, timeCost: 2 };

  it("keeps hash at configured parameters", async () => {
    const strongHasher = await PasswordHasher.create(strong);
    expect(strongHasher.needsRehash(await strongHasher.hash(password))).toBe(false);
  });

  it("keeps hash stronger than configured", async () => {
    const strongHasher = await PasswordHasher.create(strong);
    expect(hasher.needsRehash(await strongHasher.hash(password))).toBe(false);
  });

  it("rehashes weaker memory or passes", async () => {
    const strongHasher = await PasswordHasher.create(strong);
    const weakMemory = await PasswordHasher.create({ ...strong, memoryCost: 256 });
    const weakPasses = await PasswordHasher.create({ ...strong, timeCost: 1 });
    expect(strongHasher.needsRehash(await weakMemory.hash(password))).toBe(true);
    expect(strongHasher.needsRehash(await weakPasses.hash(password))).toBe(true);
  });

  it("rejects invalid parameters", async () => {
    await expect(PasswordHasher.create({ ...testArgon2Parameters, memoryCost: 4 })).rejects.toThrow(
      /memoryCost/,
    );
    await expect(PasswordHasher.create({ ...testArgon2Parameters, saltLength: 4 })).rejects.toThrow(
      /saltLength/,
    );
  });
});

describe("verifyDummy", () => {
  /** Times two operations alternately, so that load from other processes hits both alike. */
  async function interleavedMedians(
    first: () => Promise<unknown>,
    second: () => Promise<unknown>,
    rounds: number,
  ): Promise<[number, number]> {
    const times: [number[], number[]] = [[], []];
    for (let round = 0; round < rounds; round += 1) {
      for (const [index, run] of [first, second].entries()) {
        const start = process.hrtime.bigint();
        await run();
        times[index]!.push(Number(process.hrtime.bigint() - start));
      }
    }
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(rounds / 2)]!;
    return [median(times[0]), median(times[1])];
  }

  // Costly enough that scheduling noise does not dominate the comparison.
  const timedParameters = { ...testArgon2Parameters, memoryCost: 8192, timeCost: 2 };

  it("takes as long as a real verification", async () => {
    const timed = await PasswordHasher.create(timedParameters);
    const stored = await timed.hash(password);
    await timed.verify(wrong, stored);

    const [real, dummy] = await interleavedMedians(
      () => timed.verify(wrong, stored),
      () => timed.verifyDummy(wrong),
      15,
    );
    expect(dummy / real).toBeGreaterThan(0.5);
    expect(dummy / real).toBeLessThan(2);
  });

  it("spends dummy time on digest hash", async () => {
    const timed = await PasswordHasher.create(timedParameters);
    const md5 = `$md5$${createHash("md5").update(password).digest("base64")}`;
    const [dummy, digest] = await interleavedMedians(
      () => timed.verifyDummy(wrong),
      () => timed.verify(wrong, md5),
      9,
    );
    expect(digest / dummy).toBeGreaterThan(0.5);
  });

  it.each([
    ["PBKDF2", async () => encodePbkdf2("sha256", 1_000, password)],
    ["bcrypt", () => bcryptHash(password, "2b")],
  ])("spends dummy time on cheap %s hash", async (_name, makeHash) => {
    const timed = await PasswordHasher.create(timedParameters);
    const cheap = await makeHash();
    const [dummy, legacy] = await interleavedMedians(
      () => timed.verifyDummy(wrong),
      () => timed.verify(wrong, cheap),
      9,
    );
    expect(legacy / dummy).toBeGreaterThan(0.5);
  });

  it("spends dummy time on invalid hash", async () => {
    const timed = await PasswordHasher.create(timedParameters);
    const [dummy, invalid] = await interleavedMedians(
      () => timed.verifyDummy(wrong),
      () => timed.verify(wrong, "not-a-hash"),
      9,
    );
    expect(invalid / dummy).toBeGreaterThan(0.5);
  });
});
