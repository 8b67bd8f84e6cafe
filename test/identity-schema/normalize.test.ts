import { describe, expect, it } from "vitest";
import {
  isEmailAddress,
  isPhoneNumber,
  normalizeAddress,
  normalizeIdentifier,
} from "../../src/identity-schema/index.ts";

describe("normalizeIdentifier", () => {
  it("trims and lower-cases an email", () => {
    expect(normalizeIdentifier("  Foo@Example.COM ")).toBe("foo@example.com");
  });

  it("applies NFKC before lower-casing", () => {
    expect(normalizeIdentifier("ＡＤＡ")).toBe("ada");
    expect(normalizeIdentifier("\u212B")).toBe("\u00E5");
  });

  it("lower-cases usernames like Kratos", () => {
    expect(normalizeIdentifier(" Ada_Lovelace\t")).toBe("ada_lovelace");
  });
});

describe("normalizeAddress", () => {
  it("normalises email addresses", () => {
    expect(normalizeAddress(" Ada@Example.com", "email")).toBe("ada@example.com");
  });

  it("removes phone separators", () => {
    expect(normalizeAddress("+1 (415) 555-0100", "sms")).toBe("+14155550100");
  });
});

describe("isEmailAddress", () => {
  it.each([
    "ada@example.com",
    "ada.lovelace+tag@mail.example.co.uk",
    "o'brien@example.ie",
    `${"a".repeat(60)}@${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}.com`,
  ])("accepts %s", (value) => {
    expect(isEmailAddress(value)).toBe(true);
  });

  it.each([
    "",
    "ada",
    "@example.com",
    "ada@",
    "ada@localhost",
    "ada@@example.com",
    "ada..lovelace@example.com",
    ".ada@example.com",
    "ada@-example.com",
    "ada@example..com",
    " ada@example.com",
    "ada@example.com ",
    `${"a".repeat(65)}@example.com`,
    `ada@${"a".repeat(64)}.com`,
    `${"a".repeat(60)}@${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(62)}.com`,
  ])("rejects %j", (value) => {
    expect(isEmailAddress(value)).toBe(false);
  });

  it("checks long input quickly", () => {
    const hostile = `a@${"a".repeat(60_000)}!`;
    const started = performance.now();

    expect(isEmailAddress(hostile)).toBe(false);
    expect(performance.now() - started).toBeLessThan(50);
  });
});

describe("isPhoneNumber", () => {
  it("accepts E.164 with separators", () => {
    expect(isPhoneNumber("+44 20 7946 0958")).toBe(true);
    expect(isPhoneNumber("+14155550100")).toBe(true);
  });

  it("rejects numbers without country code", () => {
    expect(isPhoneNumber("020 7946 0958")).toBe(false);
    expect(isPhoneNumber("+0123456789")).toBe(false);
    expect(isPhoneNumber("+1")).toBe(false);
  });
});
