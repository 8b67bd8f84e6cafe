import { beforeAll, describe, expect, it } from "vitest";
import {
  type IdentitySchemaRegistry,
  loadIdentitySchemas,
  type TraitFailure,
  type TraitsResult,
} from "../../src/identity-schema/index.ts";

// A draft 2020-12 schema with a username login identifier, a phone for codes and an age.
const memberSchema = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $defs: {
    age: { type: "integer", minimum: 13, exclusiveMaximum: 150 },
  },
  type: "object",
  properties: {
    traits: {
      type: "object",
      properties: {
        username: {
          type: "string",
          title: "Username",
          minLength: 3,
          maxLength: 32,
          pattern: "^[A-Za-z0-9_]+$",
          "ory.sh/kratos": {
            credentials: { password: { identifier: true }, passkey: { display_name: true } },
          },
        },
        phone: {
          type: "string",
          format: "tel",
          title: "Phone",
          "ory.sh/kratos": {
            credentials: { code: { identifier: true, via: "sms" } },
            verification: { via: "sms" },
          },
        },
        age: { $ref: "#/$defs/age", title: "Age" },
        plan: { type: "string", enum: ["free", "team"] },
        newsletter: { type: "boolean", title: "Newsletter" },
        tags: { type: "array", items: { type: "string" }, maxItems: 2, uniqueItems: true },
      },
      required: ["username", "age"],
      additionalProperties: false,
    },
  },
};

function base64Url(document: unknown): string {
  return `base64://${Buffer.from(JSON.stringify(document)).toString("base64")}`;
}

let registry: IdentitySchemaRegistry;

beforeAll(async () => {
  registry = await loadIdentitySchemas({
    schemas: [{ id: "member", url: base64Url(memberSchema) }],
    defaultSchemaId: "member",
  });
});

function failuresOf(result: TraitsResult<unknown>): TraitFailure[] {
  if (result.ok || result.error.kind !== "invalid_traits") throw new Error("expected failures");
  return result.error.failures;
}

function messageAt(result: TraitsResult<unknown>, path: string) {
  return failuresOf(result).find((failure) => failure.path === path)?.message;
}

describe("custom identity schema", () => {
  it("extracts username as password identifier", () => {
    const result = registry.validateTraits("member", { username: "Ada_Lovelace", age: 36 });
    if (!result.ok) throw new Error("expected valid traits");

    expect(result.value.extracted.credentialIdentifiers.password).toEqual(["ada_lovelace"]);
    expect(result.value.extracted.passkeyDisplayName).toBe("Ada_Lovelace");
    expect(result.value.extracted.verifiableAddresses).toEqual([]);
    expect(result.value.extracted.recoveryAddresses).toEqual([]);
  });

  it("extracts phone as sms code address", () => {
    const result = registry.validateTraits("member", {
      username: "ada",
      age: 36,
      phone: "+44 20 7946 0958",
    });
    if (!result.ok) throw new Error("expected valid traits");

    expect(result.value.extracted.credentialIdentifiers.code).toEqual(["+442079460958"]);
    expect(result.value.extracted.codeAddresses).toEqual([{ value: "+442079460958", via: "sms" }]);
    expect(result.value.extracted.verifiableAddresses).toEqual([
      { value: "+442079460958", via: "sms" },
    ]);
  });

  it("reports invalid phone as 4000041", () => {
    const result = registry.validateTraits("member", { username: "ada", age: 36, phone: "12" });

    expect(messageAt(result, "traits.phone")).toEqual({
      id: 4000041,
      text: "Enter a valid phone number",
      type: "error",
      context: { value: "12" },
    });
  });

  it("reports age below minimum as 4000018", () => {
    const result = registry.validateTraits("member", { username: "ada", age: 12 });

    expect(messageAt(result, "traits.age")).toEqual({
      id: 4000018,
      text: "must be >= 13 but found 12",
      type: "error",
      context: { minimum: 13, actual: 12 },
    });
  });

  it("reports age at exclusive maximum as 4000021", () => {
    const result = registry.validateTraits("member", { username: "ada", age: 150 });

    expect(messageAt(result, "traits.age")).toEqual({
      id: 4000021,
      text: "must be < 150 but found 150",
      type: "error",
      context: { maximum: 150, actual: 150 },
    });
  });

  it("reports fractional age as wrong type", () => {
    const result = registry.validateTraits("member", { username: "ada", age: 36.5 });

    expect(messageAt(result, "traits.age")?.id).toBe(4000026);
    expect(messageAt(result, "traits.age")?.text).toBe("expected integer, but got number");
  });

  it("reports username pattern as 4000004", () => {
    const result = registry.validateTraits("member", { username: "ada lovelace", age: 36 });

    expect(messageAt(result, "traits.username")).toEqual({
      id: 4000004,
      text: 'does not match pattern "^[A-Za-z0-9_]+$"',
      type: "error",
      context: { pattern: "^[A-Za-z0-9_]+$" },
    });
  });

  it("reports value outside enum", () => {
    const result = registry.validateTraits("member", { username: "ada", age: 36, plan: "gold" });

    expect(messageAt(result, "traits.plan")?.id).toBe(4000001);
    expect(messageAt(result, "traits.plan")?.text).toBe('value must be one of "free", "team"');
  });

  it("reports array limits", () => {
    const tooMany = registry.validateTraits("member", {
      username: "ada",
      age: 36,
      tags: ["a", "b", "c"],
    });
    const repeated = registry.validateTraits("member", {
      username: "ada",
      age: 36,
      tags: ["a", "a"],
    });

    expect(messageAt(tooMany, "traits.tags")?.id).toBe(4000023);
    expect(messageAt(tooMany, "traits.tags")?.text).toBe(
      "maximum 2 items allowed, but found 3 items",
    );
    expect(messageAt(repeated, "traits.tags")?.id).toBe(4000025);
    expect(messageAt(repeated, "traits.tags")?.text).toBe("items at index 0 and 1 are equal");
  });

  it("reports every missing required property", () => {
    const failures = failuresOf(registry.validateTraits("member", {}));

    expect(failures.map((failure) => failure.path)).toEqual(["traits.username", "traits.age"]);
    expect(failures.map((failure) => failure.message.id)).toEqual([4000002, 4000002]);
  });

  it("describes fields with refs resolved", () => {
    expect(registry.describeTraitFields("member")).toEqual([
      {
        name: "traits.username",
        type: "text",
        required: true,
        title: "Username",
        pattern: "^[A-Za-z0-9_]+$",
        maxLength: 32,
      },
      { name: "traits.phone", type: "tel", autocomplete: "tel", required: false, title: "Phone" },
      { name: "traits.age", type: "number", required: true, title: "Age" },
      { name: "traits.plan", type: "text", required: false, options: ["free", "team"] },
      { name: "traits.newsletter", type: "checkbox", required: false, title: "Newsletter" },
    ]);
  });

  it("returns schema_not_found for unknown id", () => {
    const result = registry.validateTraits("missing", { username: "ada", age: 36 });

    expect(result).toEqual({ ok: false, error: { kind: "schema_not_found", schemaId: "missing" } });
  });
});
