import { beforeAll, describe, expect, it } from "vitest";
import {
  defaultIdentitySchemaConfig,
  IdentitySchemaRegistry,
  loadIdentitySchemas,
  type Traits,
  type TraitsResult,
} from "../../src/identity-schema/index.ts";

const profileSchema = {
  type: "object",
  properties: {
    traits: {
      type: "object",
      properties: {
        email: {
          type: "string",
          format: "email",
          "ory.sh/kratos": { credentials: { password: { identifier: true } } },
        },
        age: { type: "integer", maximum: 300 },
        height: { type: "number" },
        tos: { type: "boolean" },
        newsletter: { type: "boolean" },
        website: { type: "string", format: "uri", minLength: 10 },
        scores: { type: "array", items: { type: "number" } },
        address: {
          type: "object",
          properties: { city: { type: "string" }, verified: { type: "boolean" } },
          required: ["verified"],
        },
      },
      required: ["email", "tos"],
    },
  },
};

let registry: IdentitySchemaRegistry;

beforeAll(() => {
  registry = IdentitySchemaRegistry.fromDocuments(
    [{ id: "profile", schema: profileSchema }],
    "profile",
  );
});

function coerced(raw: unknown): Traits {
  const result = registry.coerceTraits("profile", raw);
  if (!result.ok) throw new Error(`coercion failed: ${JSON.stringify(result.error)}`);
  return result.value;
}

function failureReason(result: TraitsResult<unknown>): unknown {
  if (result.ok || result.error.kind !== "invalid_traits") throw new Error("expected failure");
  return result.error.failures[0]?.message.context?.reason;
}

describe("coerceTraits", () => {
  it("converts numeric strings to numbers", () => {
    const traits = coerced({ email: "a@example.com", tos: "true", age: "42", height: " 1.75 " });

    expect(traits.age).toBe(42);
    expect(traits.height).toBe(1.75);
  });

  it("leaves unparseable numbers for validation", () => {
    const traits = coerced({ email: "a@example.com", tos: "true", age: "forty" });
    const result = registry.validateTraits("profile", traits);

    expect(traits.age).toBe("forty");
    if (result.ok) throw new Error("expected failure");
    expect(result.error).toMatchObject({
      kind: "invalid_traits",
      failures: [{ path: "traits.age", message: { id: 4000026 } }],
    });
  });

  it("converts boolean spellings", () => {
    expect(coerced({ email: "a@example.com", tos: "true" }).tos).toBe(true);
    expect(coerced({ email: "a@example.com", tos: "on" }).tos).toBe(true);
    expect(coerced({ email: "a@example.com", tos: "1" }).tos).toBe(true);
    expect(coerced({ email: "a@example.com", tos: "false" }).tos).toBe(false);
    expect(coerced({ email: "a@example.com", tos: "0" }).tos).toBe(false);
  });

  it("sets missing required booleans false", () => {
    const traits = coerced({ email: "a@example.com" });

    expect(traits.tos).toBe(false);
    expect(Object.hasOwn(traits, "newsletter")).toBe(false);
  });

  it("drops empty optional strings", () => {
    const traits = coerced({ email: "a@example.com", tos: "true", website: "", age: "" });

    expect(Object.hasOwn(traits, "website")).toBe(false);
    expect(Object.hasOwn(traits, "age")).toBe(false);
    expect(registry.validateTraits("profile", traits).ok).toBe(true);
  });

  it("keeps empty required strings", () => {
    const traits = coerced({ email: "", tos: "true" });
    const result = registry.validateTraits("profile", traits);

    expect(traits.email).toBe("");
    expect(result.ok).toBe(false);
  });

  it("expands dotted keys into objects", () => {
    const traits = coerced({
      email: "a@example.com",
      tos: "true",
      "address.city": "Paris",
      "address.verified": "true",
    });

    expect(traits.address).toEqual({ city: "Paris", verified: true });
    expect(Object.hasOwn(traits, "address.city")).toBe(false);
  });

  it("coerces nested objects", () => {
    const traits = coerced({ email: "a@example.com", tos: "true", address: { city: "Paris" } });

    expect(traits.address).toEqual({ city: "Paris", verified: false });
  });

  it("wraps a single value into an array", () => {
    expect(coerced({ email: "a@example.com", tos: "1", scores: "7" }).scores).toEqual([7]);
    expect(coerced({ email: "a@example.com", tos: "1", scores: ["7", "8.5"] }).scores).toEqual([
      7, 8.5,
    ]);
  });

  it("leaves typed JSON values alone", () => {
    const traits = coerced({ email: "a@example.com", tos: true, age: 42, newsletter: false });

    expect(traits).toEqual({ email: "a@example.com", tos: true, age: 42, newsletter: false });
  });

  it("keeps undeclared properties for validation", () => {
    expect(coerced({ email: "a@example.com", tos: "1", extra: "x" }).extra).toBe("x");
  });

  it("does not modify its input", () => {
    const raw = { email: "a@example.com", tos: "true", "address.city": "Paris" };
    coerced(raw);

    expect(raw).toEqual({ email: "a@example.com", tos: "true", "address.city": "Paris" });
  });

  it("rejects a key given twice", () => {
    const result = registry.coerceTraits("profile", {
      email: "a@example.com",
      address: { city: "Paris" },
      "address.city": "Lyon",
    });

    expect(failureReason(result)).toBe("property address.city is given more than once");
  });

  it("rejects __proto__ in dotted keys", () => {
    const result = registry.coerceTraits("profile", { "__proto__.polluted": "yes" });

    expect(failureReason(result)).toBe('property name "__proto__.polluted" is invalid');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("rejects empty dotted key segments", () => {
    const result = registry.coerceTraits("profile", { "address..city": "Paris" });

    expect(failureReason(result)).toBe('property name "address..city" is invalid');
  });

  it("returns schema_not_found for unknown id", () => {
    expect(registry.coerceTraits("nope", {})).toEqual({
      ok: false,
      error: { kind: "schema_not_found", schemaId: "nope" },
    });
  });
});

describe("coerce, validate and extract", () => {
  it("normalises identifier after coercion", async () => {
    const defaults = await loadIdentitySchemas(defaultIdentitySchemaConfig());
    const posted = { email: "Foo@Example.COM", "name.first": "Foo", "name.last": "" };

    const traits = defaults.coerceTraits("default", posted);
    if (!traits.ok) throw new Error("expected coercion to succeed");
    const result = defaults.validateTraits("default", traits.value);
    if (!result.ok) throw new Error(`expected valid traits: ${JSON.stringify(result.error)}`);

    expect(result.value.traits).toEqual({ email: "Foo@Example.COM", name: { first: "Foo" } });
    expect(result.value.extracted.credentialIdentifiers.password).toEqual(["foo@example.com"]);
  });
});
