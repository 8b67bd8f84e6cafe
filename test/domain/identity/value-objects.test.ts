import { describe, expect, it } from "vitest";
import {
  checkPasswordPolicy,
  defaultPasswordPolicy,
  normalizeIdentifier,
  sessionAssuranceLevel,
} from "../../../src/domain/identity/index.ts";
import { t0 } from "./fixtures.ts";

describe("normalizeIdentifier", () => {
  it("trims, lower-cases and applies NFKC", () => {
    expect(normalizeIdentifier("  \uFF21lice@Example.COM \t")).toBe("alice@example.com");
  });

  it("rejects whitespace-only identifier", () => {
    expect(normalizeIdentifier(" \u3000 ")).toEqual({
      code: "identifier_invalid",
      field: "identifier",
      reason: "empty",
      maxLength: 320,
    });
  });

  it("accepts 320 code points", () => {
    const value = `${"a".repeat(308)}@example.com`;
    expect(normalizeIdentifier(value)).toBe(value);
  });

  it("rejects 321 code points", () => {
    expect(normalizeIdentifier(`${"a".repeat(309)}@example.com`)).toMatchObject({
      code: "identifier_invalid",
      reason: "too_long",
    });
  });
});

describe("checkPasswordPolicy", () => {
  const identifiers = ["alice.smith@example.com"];

  it("accepts long unrelated passphrase", () => {
    expect(checkPasswordPolicy("correct horse battery staple", identifiers)).toBeNull();
  });

  it("rejects 7 code points as too short", () => {
    expect(checkPasswordPolicy("Zq7#kLm", identifiers)).toEqual({
      code: "password_too_short",
      minLength: 8,
      actualLength: 7,
    });
  });

  it("counts emoji as one character", () => {
    // Seven astral code points are fourteen UTF-16 units but only seven characters.
    expect(checkPasswordPolicy("🔒🦊🌲🚲🎲🧩🪁", identifiers)).toMatchObject({
      code: "password_too_short",
      actualLength: 7,
    });
    expect(checkPasswordPolicy("🔒🦊🌲🚲🎲🧩🪁🛶", identifiers)).toBeNull();
  });

  it("rejects 1025 code points as too long", () => {
    expect(checkPasswordPolicy("x".repeat(1025), identifiers)).toEqual({
      code: "password_too_long",
      maxLength: 1024,
      actualLength: 1025,
    });
  });

  it("accepts 1024 code points", () => {
    expect(checkPasswordPolicy("xq7!".repeat(256), identifiers)).toBeNull();
  });

  const similar: [string, string][] = [
    ["password equals identifier", "Alice.Smith@Example.com"],
    ["password contains identifier", "my-alice.smith@example.com!"],
    ["password contains local part", "zz alice.smith 99"],
    ["identifier contains password", "smith@example.com"],
    ["common substring over half", "qx.smith@exZ"],
  ];
  for (const [name, password] of similar) {
    it(`rejects similarity: ${name}`, () => {
      expect(checkPasswordPolicy(password, identifiers)).toEqual({
        code: "password_too_similar_to_identifier",
      });
    });
  }

  it("accepts short shared substring", () => {
    // Only "smith" (5 of 15 code points) is shared, which is under half of the password.
    expect(checkPasswordPolicy("goldsmith-river", identifiers)).toBeNull();
  });

  it("ignores local part under four characters", () => {
    expect(checkPasswordPolicy("quiet bob harbor lights", ["bob@example.org"])).toBeNull();
  });

  it("rejects common password case-insensitively", () => {
    expect(checkPasswordPolicy("PassWord1", identifiers)).toEqual({ code: "password_too_common" });
    expect(checkPasswordPolicy("12345678", identifiers)).toEqual({ code: "password_too_common" });
  });

  it("checks length before similarity and commonness", () => {
    expect(checkPasswordPolicy("alice", ["alice"])).toMatchObject({ code: "password_too_short" });
  });

  it("skips disabled checks", () => {
    const lax = {
      ...defaultPasswordPolicy,
      identifierSimilarityCheck: false,
      commonPasswordCheck: false,
    };
    expect(checkPasswordPolicy("alice.smith@example.com", identifiers, lax)).toBeNull();
    expect(checkPasswordPolicy("password", identifiers, lax)).toBeNull();
  });

  it("applies a raised minimum", () => {
    const strict = { ...defaultPasswordPolicy, minLength: 15 };
    expect(checkPasswordPolicy("river-lights-9", identifiers, strict)).toMatchObject({
      code: "password_too_short",
      minLength: 15,
      actualLength: 14,
    });
  });
});

describe("sessionAssuranceLevel", () => {
  it("returns aal0 without methods", () => {
    expect(sessionAssuranceLevel([])).toBe("aal0");
  });

  it("returns aal1 for password", () => {
    expect(sessionAssuranceLevel([{ method: "password", aal: "aal1", completedAt: t0 }])).toBe(
      "aal1",
    );
  });

  it("returns aal2 for password and totp", () => {
    expect(
      sessionAssuranceLevel([
        { method: "password", aal: "aal1", completedAt: t0 },
        { method: "totp", aal: "aal2", completedAt: t0 },
      ]),
    ).toBe("aal2");
  });

  it("returns aal1 for second factor alone", () => {
    expect(sessionAssuranceLevel([{ method: "totp", aal: "aal2", completedAt: t0 }])).toBe("aal1");
  });

  it("counts aal2 oidc as both factors", () => {
    expect(
      sessionAssuranceLevel([{ method: "oidc", aal: "aal2", completedAt: t0, provider: "google" }]),
    ).toBe("aal2");
  });
});
