import { beforeAll, describe, expect, it } from "vitest";
import {
  defaultIdentitySchemaConfig,
  type IdentitySchemaRegistry,
  loadIdentitySchemas,
  type TraitFailure,
  type TraitsResult,
} from "../../src/identity-schema/index.ts";

let registry: IdentitySchemaRegistry;

beforeAll(async () => {
  registry = await loadIdentitySchemas(defaultIdentitySchemaConfig());
});

function failuresOf(result: TraitsResult<unknown>): TraitFailure[] {
  if (result.ok) throw new Error("expected the traits to be rejected");
  if (result.error.kind !== "invalid_traits") throw new Error(`unexpected ${result.error.kind}`);
  return result.error.failures;
}

function failureAt(result: TraitsResult<unknown>, path: string): TraitFailure {
  const failure = failuresOf(result).find((entry) => entry.path === path);
  if (failure === undefined) throw new Error(`no failure at ${path}`);
  return failure;
}

describe("default identity schema", () => {
  it("accepts email with both name parts", () => {
    const result = registry.validateTraits("default", {
      email: "ada@example.com",
      name: { first: "Ada", last: "Lovelace" },
    });

    expect(result.ok).toBe(true);
  });

  it("accepts email without a name", () => {
    expect(registry.validateTraits("default", { email: "ada@example.com" }).ok).toBe(true);
  });

  it("reports missing email as 4000002", () => {
    const failure = failureAt(registry.validateTraits("default", {}), "traits.email");

    expect(failure.pointer).toBe("/traits/email");
    expect(failure.message).toEqual({
      id: 4000002,
      text: "Property email is missing.",
      type: "error",
      context: { property: "email" },
    });
  });

  it("reports malformed email as 4000040", () => {
    const result = registry.validateTraits("default", { email: "not-an-email" });
    const failures = failuresOf(result);

    expect(failures).toHaveLength(1);
    expect(failures[0]?.path).toBe("traits.email");
    expect(failures[0]?.message).toEqual({
      id: 4000040,
      text: "Enter a valid email address",
      type: "error",
      context: { value: "not-an-email" },
    });
  });

  it("reports extra property on traits", () => {
    const result = registry.validateTraits("default", {
      email: "ada@example.com",
      phone: "+441234567890",
      nickname: "ada",
    });
    const failures = failuresOf(result);

    expect(failures).toHaveLength(1);
    expect(failures[0]?.path).toBe("traits");
    expect(failures[0]?.message.id).toBe(4000001);
    expect(failures[0]?.message.text).toBe('additionalProperties "phone", "nickname" not allowed');
    expect(failures[0]?.message.context).toEqual({
      reason: 'additionalProperties "phone", "nickname" not allowed',
    });
  });

  it("reports extra property inside name", () => {
    const result = registry.validateTraits("default", {
      email: "ada@example.com",
      name: { first: "Ada", middle: "King" },
    });
    const failure = failureAt(result, "traits.name");

    expect(failure.message.id).toBe(4000001);
    expect(failure.message.text).toBe('additionalProperties "middle" not allowed');
  });

  it("reports email longer than 320 as 4000017", () => {
    const email = `${"a".repeat(64)}@${"b".repeat(60)}.${"c".repeat(60)}.${"d".repeat(60)}.${"e".repeat(70)}.com`;
    expect(email.length).toBeGreaterThan(320);

    const failures = failuresOf(registry.validateTraits("default", { email }));
    const tooLong = failures.find((failure) => failure.message.id === 4000017);

    expect(tooLong?.path).toBe("traits.email");
    expect(tooLong?.message.text).toBe(`length must be <= 320, but got ${email.length}`);
    expect(tooLong?.message.context).toEqual({ max_length: 320, actual_length: email.length });
  });

  it("reports too short email as 4000003", () => {
    const failures = failuresOf(registry.validateTraits("default", { email: "a@" }));
    const tooShort = failures.find((failure) => failure.message.id === 4000003);

    expect(tooShort?.message.text).toBe("length must be >= 3, but got 2");
    expect(tooShort?.message.context).toEqual({ min_length: 3, actual_length: 2 });
  });

  it("reports overlong first name", () => {
    const result = registry.validateTraits("default", {
      email: "ada@example.com",
      name: { first: "x".repeat(257) },
    });
    const failure = failureAt(result, "traits.name.first");

    expect(failure.message.id).toBe(4000017);
    expect(failure.message.text).toBe("length must be <= 256, but got 257");
  });

  it("reports name parts of wrong type", () => {
    const result = registry.validateTraits("default", {
      email: "ada@example.com",
      name: { first: 42, last: ["Lovelace"] },
    });

    expect(failureAt(result, "traits.name.first").message).toEqual({
      id: 4000026,
      text: "expected string, but got number",
      type: "error",
      context: { allowed_types: ["string"], actual_type: "number" },
    });
    expect(failureAt(result, "traits.name.last").message.text).toBe(
      "expected string, but got array",
    );
  });

  it("reports name that is no object", () => {
    const result = registry.validateTraits("default", { email: "ada@example.com", name: "Ada" });

    expect(failureAt(result, "traits.name").message.id).toBe(4000026);
  });

  it("counts length in code points", () => {
    const result = registry.validateTraits("default", {
      email: "ada@example.com",
      name: { first: "😀".repeat(256) },
    });

    expect(result.ok).toBe(true);
  });

  it("extracts identifiers and addresses", () => {
    const result = registry.validateTraits("default", { email: "Ada.Lovelace@Example.COM" });
    if (!result.ok) throw new Error("expected valid traits");
    const { extracted } = result.value;

    expect(extracted.credentialIdentifiers).toEqual({
      password: ["ada.lovelace@example.com"],
      webauthn: ["ada.lovelace@example.com"],
      code: ["ada.lovelace@example.com"],
    });
    expect(extracted.codeAddresses).toEqual([{ value: "ada.lovelace@example.com", via: "email" }]);
    expect(extracted.verifiableAddresses).toEqual([
      { value: "ada.lovelace@example.com", via: "email" },
    ]);
    expect(extracted.recoveryAddresses).toEqual([
      { value: "ada.lovelace@example.com", via: "email" },
    ]);
    expect(extracted.totpAccountName).toBe("Ada.Lovelace@Example.COM");
    expect(result.value.traits).toEqual({ email: "Ada.Lovelace@Example.COM" });
  });

  it("describes trait fields for the UI", () => {
    expect(registry.describeTraitFields("default")).toEqual([
      {
        name: "traits.email",
        type: "email",
        autocomplete: "email",
        required: true,
        title: "E-Mail",
        maxLength: 320,
      },
      {
        name: "traits.name.first",
        type: "text",
        required: false,
        title: "First name",
        maxLength: 256,
      },
      {
        name: "traits.name.last",
        type: "text",
        required: false,
        title: "Last name",
        maxLength: 256,
      },
    ]);
  });

  it("lists schemas as identitySchemaContainer", () => {
    const list = registry.listSchemas();

    expect(list).toHaveLength(1);
    expect(list[0]?.id).toBe("default");
    expect(Object.keys(list[0] ?? {})).toEqual(["id", "schema"]);
    const text = JSON.stringify(list[0]?.schema);
    expect(text).toContain('"ory.sh/kratos":{"credentials"');
    expect(text).not.toContain("x-ory-sh-kratos");
  });

  it("serves a frozen schema", () => {
    const schema = registry.getSchema("default") as Record<string, unknown>;

    expect(() => {
      schema.title = "changed";
    }).toThrow(TypeError);
    expect(registry.getSchema("default")?.title).toBe("Person");
  });

  it("uses default as default schema id", () => {
    expect(registry.defaultSchemaId).toBe("default");
    expect(registry.ids()).toEqual(["default"]);
  });
});
