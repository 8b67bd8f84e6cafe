import { createHash, randomBytes, scryptSync } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import {
  PasswordHasher,
  parsePasswordHash,
  testArgon2Parameters,
} from "../../src/credential/index.ts";

const password = "correct horse battery staple";
const wrong = "correct horse battery stapler";
const malformed = { outcome: "invalid_hash", failure: "malformed_hash" };

let hasher: PasswordHasher;

beforeAll(async () => {
  hasher = await PasswordHasher.create(testArgon2Parameters);
});

const base64 = (bytes: Buffer) => bytes.toString("base64");
const unpadded = (bytes: Buffer) => base64(bytes).replace(/=+$/, "");

interface ScryptOptions {
  cost?: number;
  blockSize?: number;
  parallelization?: number;
  salt?: Buffer;
  keyLength?: number;
  encode?: (bytes: Buffer) => string;
}

/** Encodes a real scrypt hash in Kratos's format, where `ln=` carries N itself. */
function encodeScrypt(secret: string, options: ScryptOptions = {}): string {
  const { cost = 16384, blockSize = 8, parallelization = 1, keyLength = 32 } = options;
  const salt = options.salt ?? randomBytes(16);
  const encode = options.encode ?? base64;
  const key = scryptSync(secret, salt, keyLength, {
    N: cost,
    r: blockSize,
    p: parallelization,
    maxmem: 256 * 1024 * 1024,
  });
  return `$scrypt$ln=${cost},r=${blockSize},p=${parallelization}$${encode(salt)}$${encode(key)}`;
}

function encodeSsha(scheme: "SSHA" | "SSHA256" | "SSHA512", secret: string, salt: Buffer): string {
  const digest = { SSHA: "sha1", SSHA256: "sha256", SSHA512: "sha512" }[scheme];
  const hash = createHash(digest).update(secret).update(salt).digest();
  return `{${scheme}}${base64(Buffer.concat([hash, salt]))}`;
}

const md5 = (message: string | Buffer) => createHash("md5").update(message).digest();

function encodeSaltedMd5(template: string, salt: Buffer, digest: Buffer): string {
  return `$md5$pf=${base64(Buffer.from(template))}$${base64(salt)}$${base64(digest)}`;
}

describe("scrypt", () => {
  it("verifies and asks for rehash", async () => {
    const hash = encodeScrypt(password);
    expect(await hasher.verify(password, hash)).toEqual({ outcome: "match", needsRehash: true });
    expect(await hasher.verify(wrong, hash)).toEqual({ outcome: "mismatch" });
    expect(hasher.needsRehash(hash)).toBe(true);
  });

  it("accepts unpadded base64", async () => {
    const hash = encodeScrypt(password, { keyLength: 31, encode: unpadded });
    expect(hash.split("$").slice(3).join("$")).not.toContain("=");
    expect(await hasher.verify(password, hash)).toMatchObject({ outcome: "match" });
  });

  it("reads ln as N", () => {
    expect(parsePasswordHash(encodeScrypt(password, { cost: 2048 }))).toMatchObject({
      algorithm: "scrypt",
      cost: 2048,
      blockSize: 8,
      parallelization: 1,
    });
  });

  it("verifies at the work limit", async () => {
    // 128 × N × r × p is exactly 128 MiB in both, so maxmem must cover N and p alike.
    for (const [cost, parallelization] of [
      [131072, 1],
      [1024, 128],
    ] as const) {
      const hash = encodeScrypt(password, { cost, parallelization });
      expect(await hasher.verify(password, hash), hash).toMatchObject({ outcome: "match" });
    }
  });

  it("verifies r=1 at its largest N", async () => {
    const hash = encodeScrypt(password, { cost: 32768, blockSize: 1 });
    expect(await hasher.verify(password, hash)).toMatchObject({ outcome: "match" });
  });

  const salt = unpadded(randomBytes(16));
  const key = unpadded(randomBytes(32));
  const rejected: [string, string][] = [
    ["log2 N as passlib writes it", `$scrypt$ln=16,r=8,p=1$${salt}$${key}`],
    ["N below 1024", `$scrypt$ln=512,r=8,p=1$${salt}$${key}`],
    ["N not a power of two", `$scrypt$ln=16385,r=8,p=1$${salt}$${key}`],
    ["256 MiB of memory", `$scrypt$ln=262144,r=8,p=1$${salt}$${key}`],
    ["256 MiB of work", `$scrypt$ln=131072,r=8,p=2$${salt}$${key}`],
    ["N of 2^16 with r=1", `$scrypt$ln=65536,r=1,p=1$${salt}$${key}`],
    ["r=0", `$scrypt$ln=16384,r=0,p=1$${salt}$${key}`],
    ["p=0", `$scrypt$ln=16384,r=8,p=0$${salt}$${key}`],
    ["ten-digit N", `$scrypt$ln=1073741824,r=8,p=1$${salt}$${key}`],
    ["missing p", `$scrypt$ln=16384,r=8$${salt}$${key}`],
    ["extra parameter", `$scrypt$ln=16384,r=8,p=1,l=32$${salt}$${key}`],
    ["salt of 4 bytes", `$scrypt$ln=16384,r=8,p=1$${unpadded(randomBytes(4))}$${key}`],
    ["salt of 65 bytes", `$scrypt$ln=16384,r=8,p=1$${unpadded(randomBytes(65))}$${key}`],
    ["key of 8 bytes", `$scrypt$ln=16384,r=8,p=1$${salt}$${unpadded(randomBytes(8))}`],
    ["key of 65 bytes", `$scrypt$ln=16384,r=8,p=1$${salt}$${unpadded(randomBytes(65))}`],
    ["bad base64", `$scrypt$ln=16384,r=8,p=1$${salt}$${key.slice(0, -1)}!`],
    // 25 base64 characters encode no whole number of bytes.
    ["impossible base64 length", `$scrypt$ln=16384,r=8,p=1$${salt}$${"A".repeat(25)}`],
    ["missing key", `$scrypt$ln=16384,r=8,p=1$${salt}`],
  ];
  for (const [name, hash] of rejected) {
    it(`rejects ${name}`, async () => {
      expect(parsePasswordHash(hash)).toEqual({ failure: "malformed_hash" });
      expect(await hasher.verify(password, hash)).toEqual(malformed);
    });
  }
});

describe("salted SHA", () => {
  for (const scheme of ["SSHA", "SSHA256", "SSHA512"] as const) {
    it(`verifies {${scheme}} and asks for rehash`, async () => {
      const hash = encodeSsha(scheme, password, randomBytes(8));
      expect(await hasher.verify(password, hash)).toEqual({ outcome: "match", needsRehash: true });
      expect(await hasher.verify(wrong, hash)).toEqual({ outcome: "mismatch" });
    });
  }

  it("accepts 4-byte salt as slappasswd writes", async () => {
    const hash = encodeSsha("SSHA", password, randomBytes(4));
    expect(await hasher.verify(password, hash)).toMatchObject({ outcome: "match" });
  });

  it("digests password before salt", async () => {
    const salt = randomBytes(8);
    const reversed = createHash("sha1").update(salt).update(password).digest();
    const hash = `{SSHA}${base64(Buffer.concat([reversed, salt]))}`;
    expect(await hasher.verify(password, hash)).toEqual({ outcome: "mismatch" });
  });

  const digestOnly = createHash("sha256").update(password).digest();
  const rejected: [string, string][] = [
    ["salt of 3 bytes", encodeSsha("SSHA", password, randomBytes(3))],
    ["no salt", `{SSHA256}${base64(digestOnly)}`],
    ["salt of 65 bytes", encodeSsha("SSHA512", password, randomBytes(65))],
    ["bad base64", `{SSHA}${base64(randomBytes(24)).slice(0, -1)}*`],
    ["impossible base64 length", `{SSHA}${unpadded(randomBytes(24))}A`],
    ["overlong input", `{SSHA}${"A".repeat(2000)}`],
    ["empty payload", "{SSHA}"],
  ];
  for (const [name, hash] of rejected) {
    it(`rejects ${name}`, async () => {
      expect(parsePasswordHash(hash)).toEqual({ failure: "malformed_hash" });
      expect(await hasher.verify(password, hash)).toEqual(malformed);
    });
  }

  it("leaves other LDAP schemes unsupported", () => {
    for (const hash of [`{SHA}${base64(digestOnly)}`, `{ssha}${base64(digestOnly)}`]) {
      expect(parsePasswordHash(hash), hash).toEqual({ failure: "unsupported_algorithm" });
    }
  });
});

describe("md5", () => {
  it("verifies unsalted digest and asks for rehash", async () => {
    for (const encode of [base64, unpadded]) {
      const hash = `$md5$${encode(md5(password))}`;
      expect(await hasher.verify(password, hash)).toEqual({ outcome: "match", needsRehash: true });
      expect(await hasher.verify(wrong, hash)).toEqual({ outcome: "mismatch" });
    }
  });

  it("verifies salted templates", async () => {
    const salt = Buffer.from("pepper-and-salt");
    const cases: [string, Buffer][] = [
      ["{SALT}{PASSWORD}", md5(`pepper-and-salt${password}`)],
      ["{PASSWORD}:{SALT}", md5(`${password}:pepper-and-salt`)],
    ];
    for (const [template, digest] of cases) {
      const hash = encodeSaltedMd5(template, salt, digest);
      expect(await hasher.verify(password, hash), template).toEqual({
        outcome: "match",
        needsRehash: true,
      });
      expect(await hasher.verify(wrong, hash), template).toEqual({ outcome: "mismatch" });
    }
  });

  it("expands placeholders in one pass", async () => {
    // Neither the salt nor the password is searched for placeholders after substitution.
    const salt = Buffer.from("s{PASSWORD}t");
    const tricky = "pass{SALT}word";
    const hash = encodeSaltedMd5("{PASSWORD}{SALT}", salt, md5(`${tricky}s{PASSWORD}t`));
    expect(await hasher.verify(tricky, hash)).toMatchObject({ outcome: "match" });
  });

  it("digests binary salt as bytes", async () => {
    const salt = Buffer.from([0xff, 0x00, 0x80, 0x7b, 0x10]);
    const digest = md5(Buffer.concat([salt, Buffer.from(password)]));
    const hash = encodeSaltedMd5("{SALT}{PASSWORD}", salt, digest);
    expect(await hasher.verify(password, hash)).toMatchObject({ outcome: "match" });
  });

  const salt = Buffer.from("saltsalt");
  const rejected: [string, string][] = [
    // The digest of the salt alone would match every password.
    ["template without password", encodeSaltedMd5("{SALT}", salt, md5(salt))],
    ["template without salt", encodeSaltedMd5("{PASSWORD}", salt, md5(password))],
    [
      "password twice",
      encodeSaltedMd5("{PASSWORD}{SALT}{PASSWORD}", salt, md5(`${password}saltsalt${password}`)),
    ],
    ["salt twice", encodeSaltedMd5("{SALT}{PASSWORD}{SALT}", salt, md5("x"))],
    [
      "template over 128 bytes",
      encodeSaltedMd5(`{SALT}{PASSWORD}${"x".repeat(113)}`, salt, md5("")),
    ],
    ["salt of 3 bytes", encodeSaltedMd5("{SALT}{PASSWORD}", Buffer.from("abc"), md5(""))],
    ["salt of 65 bytes", encodeSaltedMd5("{SALT}{PASSWORD}", randomBytes(65), md5(""))],
    ["digest of 15 bytes", `$md5$${base64(md5(password).subarray(1))}`],
    ["digest of 20 bytes", `$md5$${base64(createHash("sha1").update(password).digest())}`],
    ["bad base64 digest", `$md5$${unpadded(md5(password)).slice(0, -1)}!`],
    ["bad base64 template", `$md5$pf=e1NBTFR9*$${base64(salt)}$${base64(md5(""))}`],
    ["salted form without salt", `$md5$pf=${base64(Buffer.from("{PASSWORD}"))}$${base64(md5(""))}`],
    ["empty digest", "$md5$"],
  ];
  for (const [name, hash] of rejected) {
    it(`rejects ${name}`, async () => {
      expect(parsePasswordHash(hash)).toEqual({ failure: "malformed_hash" });
      expect(await hasher.verify(password, hash)).toEqual(malformed);
    });
  }

  it("accepts a 128-byte template", () => {
    const template = `{SALT}{PASSWORD}${"x".repeat(112)}`;
    expect(Buffer.byteLength(template)).toBe(128);
    expect(parsePasswordHash(encodeSaltedMd5(template, salt, md5("")))).toMatchObject({
      algorithm: "md5",
    });
  });

  it("leaves md5-crypt unsupported", () => {
    expect(parsePasswordHash("$md5-crypt$saltsalt$0123456789abcdefghijkl")).toEqual({
      failure: "unsupported_algorithm",
    });
  });
});

describe("hostile input", () => {
  it("parses megabyte inputs quickly", () => {
    const long = "A".repeat(1_000_000);
    const inputs = [
      `$scrypt$ln=${"1".repeat(1_000_000)}`,
      `$scrypt$ln=16384,r=8,p=1$${long}$${long}`,
      `$scrypt$ln=16384,r=8,p=1$${"A$".repeat(500_000)}`,
      `{SSHA}${long}`,
      `{SSHA512}${"=".repeat(1_000_000)}`,
      `$md5$${long}`,
      `$md5$pf=${long}$${long}$${long}`,
      `$md5$pf=${"A$".repeat(500_000)}`,
      // An invalid last character makes a backtracking pattern retry every split of the run.
      `$scrypt$ln=16384,r=8,p=1$${long}!`,
      `{SSHA}${long}!`,
      `$md5$pf=${long}!`,
    ];
    for (const input of inputs) {
      const start = process.hrtime.bigint();
      expect(parsePasswordHash(input)).toEqual({ failure: "malformed_hash" });
      const elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
      expect(elapsedMs, input.slice(0, 20)).toBeLessThan(100);
    }
  });
});
