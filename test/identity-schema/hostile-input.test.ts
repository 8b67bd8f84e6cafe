import { beforeAll, describe, expect, it } from "vitest";
import {
  defaultIdentitySchemaConfig,
  type IdentitySchemaRegistry,
  loadIdentitySchemas,
  MAX_TRAITS_BYTES,
  type TraitFailure,
  type TraitsResult,
} from "../../src/identity-schema/index.ts";

let registry: IdentitySchemaRegistry;

beforeAll(async () => {
  registry = await loadIdentitySchemas(defaultIdentitySchemaConfig());
});

function onlyFailure(result: TraitsResult<unknown>): TraitFailure {
  if (result.ok || result.error.kind !== "invalid_traits") throw new Error("expected failure");
  expect(result.error.failures).toHaveLength(1);
  return result.error.failures[0] as TraitFailure;
}

describe("hostile traits", () => {
  it.each([
    ["a string", "ada@example.com", "string"],
    ["an array", [{ email: "ada@example.com" }], "array"],
    ["null", null, "null"],
    ["a number", 7, "number"],
    ["undefined", undefined, "undefined"],
  ])("rejects %s as traits", (_label, traits, actualType) => {
    const failure = onlyFailure(registry.validateTraits("default", traits));

    expect(failure.path).toBe("traits");
    expect(failure.message).toEqual({
      id: 4000026,
      text: `expected object, but got ${actualType}`,
      type: "error",
      context: { allowed_types: ["object"], actual_type: actualType },
    });
  });

  it("rejects class instances", () => {
    const failure = onlyFailure(registry.validateTraits("default", new Date()));

    expect(failure.message.id).toBe(4000026);
  });

  it("rejects non-JSON values inside traits", () => {
    const traits = { email: "ada@example.com", name: { first: () => "Ada" } };
    const failure = onlyFailure(registry.validateTraits("default", traits));

    expect(failure.message.context).toEqual({ reason: "traits must contain only JSON values" });
  });

  it("rejects __proto__ keys", () => {
    const traits = JSON.parse('{"email":"ada@example.com","name":{"__proto__":{"admin":true}}}');
    const failure = onlyFailure(registry.validateTraits("default", traits));

    expect(failure.message).toEqual({
      id: 4000001,
      text: 'property "__proto__" is not allowed',
      type: "error",
      context: { reason: 'property "__proto__" is not allowed' },
    });
  });

  it("rejects traits over the size cap", () => {
    const traits = { email: "ada@example.com", name: { first: "x".repeat(MAX_TRAITS_BYTES) } };
    const failure = onlyFailure(registry.validateTraits("default", traits));
    const size = Buffer.byteLength(JSON.stringify(traits));

    expect(failure.message.id).toBe(4000001);
    expect(failure.message.text).toBe(
      `traits are ${size} bytes long, but at most ${MAX_TRAITS_BYTES} bytes are allowed`,
    );
  });

  it("counts the size cap in bytes", () => {
    // 22,000 three-byte characters are 66,000 bytes but only 22,000 UTF-16 code units.
    const traits = { email: "ada@example.com", name: { first: "€".repeat(22_000) } };

    expect(onlyFailure(registry.validateTraits("default", traits)).message.id).toBe(4000001);
  });

  it("reports huge strings below the cap by schema", () => {
    const traits = { email: "ada@example.com", name: { first: "x".repeat(60_000) } };
    const failure = onlyFailure(registry.validateTraits("default", traits));

    expect(failure.path).toBe("traits.name.first");
    expect(failure.message.text).toBe("length must be <= 256, but got 60000");
  });

  it("rejects deep nesting without recursion", () => {
    let nested: unknown = "leaf";
    for (let level = 0; level < 100_000; level++) nested = [nested];
    const failure = onlyFailure(
      registry.validateTraits("default", { email: "a@example.com", nested }),
    );

    expect(failure.message.text).toBe("traits are nested deeper than 16 levels");
  });

  it("rejects widely shared objects", () => {
    const leaf = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, i]));
    const middle = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`m${i}`, leaf]));
    const traits = { email: "a@example.com", wide: [middle, middle, middle, middle, middle] };
    const failure = onlyFailure(registry.validateTraits("default", traits));

    expect(failure.message.text).toBe("traits contain more than 40000 values");
  });

  it("rejects cyclic traits", () => {
    const traits: Record<string, unknown> = { email: "a@example.com" };
    traits.self = traits;
    const failure = onlyFailure(registry.validateTraits("default", traits));

    expect(failure.message.text).toBe("traits are nested deeper than 16 levels");
  });

  it("rejects non-finite numbers", () => {
    const failure = onlyFailure(
      registry.validateTraits("default", { email: "a@example.com", n: Number.NaN }),
    );

    expect(failure.message.text).toBe("traits must contain only JSON values");
  });

  it("applies the same checks when coercing", () => {
    const failure = onlyFailure(registry.coerceTraits("default", "email=ada@example.com"));

    expect(failure.message.id).toBe(4000026);
  });

  it("validates an email of 60k characters quickly", () => {
    const email = `a@${"b".repeat(60_000)}`;
    const started = performance.now();
    const result = registry.validateTraits("default", { email });

    expect(result.ok).toBe(false);
    expect(performance.now() - started).toBeLessThan(200);
  });
});
