import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  IdentitySchemaError,
  IdentitySchemaRegistry,
  loadIdentitySchemas,
} from "../../src/identity-schema/index.ts";

const minimalSchema = {
  properties: {
    traits: {
      type: "object",
      properties: {
        login: {
          type: "string",
          "ory.sh/kratos": { credentials: { password: { identifier: true } } },
        },
      },
    },
  },
};

function withTraitProperty(property: Record<string, unknown>): Record<string, unknown> {
  return { properties: { traits: { type: "object", properties: { field: property } } } };
}

let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "registrar-schemas-"));
  await writeFile(join(directory, "minimal.schema.json"), JSON.stringify(minimalSchema));
  await writeFile(join(directory, "broken.schema.json"), "{ not json");
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function loadError(promise: Promise<unknown>): Promise<IdentitySchemaError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof IdentitySchemaError)) throw new Error(`unexpected outcome: ${error}`);
  return error;
}

function compileError(schema: unknown, id = "custom"): IdentitySchemaError {
  try {
    IdentitySchemaRegistry.fromDocuments([{ id, schema }], id);
  } catch (error) {
    if (error instanceof IdentitySchemaError) return error;
    throw error;
  }
  throw new Error("expected the schema to be rejected");
}

describe("loadIdentitySchemas", () => {
  it("loads absolute file URLs", async () => {
    const url = `file://${join(directory, "minimal.schema.json")}`;
    const registry = await loadIdentitySchemas({
      schemas: [{ id: "minimal", url }],
      defaultSchemaId: "minimal",
    });

    expect(registry.ids()).toEqual(["minimal"]);
  });

  it("loads relative paths and file URLs", async () => {
    const registry = await loadIdentitySchemas(
      {
        schemas: [
          { id: "plain", url: "minimal.schema.json" },
          { id: "dotted", url: "file://./minimal.schema.json" },
        ],
        defaultSchemaId: "plain",
      },
      { cwd: directory },
    );

    expect(registry.ids()).toEqual(["plain", "dotted"]);
    expect(registry.getSchema("dotted")).toEqual(minimalSchema);
  });

  it("extracts normalised identifiers", async () => {
    const url = `file://${join(directory, "minimal.schema.json")}`;
    const registry = await loadIdentitySchemas({
      schemas: [{ id: "minimal", url }],
      defaultSchemaId: "minimal",
    });
    const result = registry.validateTraits("minimal", { login: "  Foo@Example.COM " });
    if (!result.ok) throw new Error("expected valid traits");

    expect(result.value.extracted.credentialIdentifiers.password).toEqual(["foo@example.com"]);
    expect(result.value.traits.login).toBe("  Foo@Example.COM ");
  });

  it("rejects invalid JSON naming the id", async () => {
    const error = await loadError(
      loadIdentitySchemas(
        { schemas: [{ id: "broken", url: "broken.schema.json" }], defaultSchemaId: "broken" },
        { cwd: directory },
      ),
    );

    expect(error.code).toBe("invalid_schema");
    expect(error.schemaId).toBe("broken");
    expect(error.message).toMatch(/^identity schema "broken" is not valid JSON: /);
  });

  it("rejects a missing file naming the id", async () => {
    const error = await loadError(
      loadIdentitySchemas({
        schemas: [{ id: "gone", url: "file:///nonexistent/gone.json" }],
        defaultSchemaId: "gone",
      }),
    );

    expect(error.code).toBe("unreadable");
    expect(error.message).toMatch(/^identity schema "gone" could not be read: /);
  });

  it("rejects http URLs", async () => {
    const error = await loadError(
      loadIdentitySchemas({
        schemas: [{ id: "remote", url: "https://example.com/identity.schema.json" }],
        defaultSchemaId: "remote",
      }),
    );

    expect(error.code).toBe("unreadable");
    expect(error.message).toContain("http(s) schema URLs are not supported");
  });

  it("rejects unknown URL schemes", async () => {
    const error = await loadError(
      loadIdentitySchemas({
        schemas: [{ id: "s3", url: "s3://bucket/x.json" }],
        defaultSchemaId: "s3",
      }),
    );

    expect(error.message).toContain("URL scheme s3:// is not supported");
  });

  it("rejects malformed base64 data", async () => {
    const error = await loadError(
      loadIdentitySchemas({
        schemas: [{ id: "b64", url: "base64://not*base64" }],
        defaultSchemaId: "b64",
      }),
    );

    expect(error.message).toBe(
      'identity schema "b64" could not be read: base64:// data is not valid base64',
    );
  });

  it("rejects an unknown default id", async () => {
    const url = `file://${join(directory, "minimal.schema.json")}`;
    const error = await loadError(
      loadIdentitySchemas({ schemas: [{ id: "minimal", url }], defaultSchemaId: "default" }),
    );

    expect(error.code).toBe("invalid_config");
    expect(error.message).toBe(
      'default identity schema "default" is not configured; add it to the schemas or change the default id',
    );
  });

  it("rejects duplicate ids", () => {
    expect(() =>
      IdentitySchemaRegistry.fromDocuments(
        [
          { id: "a", schema: minimalSchema },
          { id: "a", schema: minimalSchema },
        ],
        "a",
      ),
    ).toThrow('identity schema "a" has a duplicate id; give each schema a unique, non-empty id');
  });

  it("rejects an empty configuration", () => {
    expect(() => IdentitySchemaRegistry.fromDocuments([], "default")).toThrow(
      "no identity schema is configured",
    );
  });
});

describe("broken identity schemas", () => {
  it("rejects a schema without traits", () => {
    const error = compileError({ type: "object", properties: {} }, "no-traits");

    expect(error.code).toBe("invalid_schema");
    expect(error.schemaId).toBe("no-traits");
    expect(error.message).toBe(
      'identity schema "no-traits" is invalid: the schema must define "properties.traits"',
    );
  });

  it("rejects traits that are no object", () => {
    const error = compileError({ properties: { traits: { type: "string" } } });

    expect(error.message).toContain('"properties.traits" must have "type": "object"');
  });

  it("rejects traits without properties", () => {
    const error = compileError({ properties: { traits: { type: "object", properties: {} } } });

    expect(error.message).toContain("must declare at least one property");
  });

  it("rejects an invalid type keyword", () => {
    const error = compileError(withTraitProperty({ type: "strin" }), "typo");

    expect(error.message).toMatch(/^identity schema "typo" is invalid: schema is invalid: /);
  });

  it("rejects unknown keywords", () => {
    const error = compileError(withTraitProperty({ type: "string", maxLenght: 3 }));

    expect(error.message).toContain('unknown keyword: "maxLenght"');
  });

  it("rejects unknown formats", () => {
    const error = compileError(withTraitProperty({ type: "string", format: "e-mail" }));

    expect(error.message).toContain('unknown format "e-mail"');
  });

  it("rejects misspelt extension settings", () => {
    const error = compileError(
      withTraitProperty({
        type: "string",
        "ory.sh/kratos": { credentials: { password: { identifer: true } } },
      }),
    );

    expect(error.message).toContain('keyword "ory.sh/kratos" value is invalid');
    expect(error.message).not.toContain("x-ory-sh-kratos");
  });

  it("rejects unknown address channels", () => {
    const error = compileError(
      withTraitProperty({
        type: "string",
        format: "email",
        "ory.sh/kratos": { recovery: { via: "fax" } },
      }),
    );

    expect(error.message).toContain('keyword "ory.sh/kratos" value is invalid');
  });

  it("rejects verification without format", () => {
    const error = compileError(
      withTraitProperty({ type: "string", "ory.sh/kratos": { verification: { via: "email" } } }),
    );

    expect(error.message).toContain('a property with "verification" must have a format of');
  });

  it("rejects remote references", () => {
    const error = compileError(withTraitProperty({ $ref: "https://example.com/field.json" }));

    expect(error.message).toContain("can't resolve reference https://example.com/field.json");
  });

  it("rejects unsupported dialects", () => {
    const schema = { $schema: "http://json-schema.org/draft-04/schema#", ...minimalSchema };
    const error = compileError(schema);

    expect(error.message).toContain(
      '"$schema" "http://json-schema.org/draft-04/schema#" is not supported',
    );
  });

  it("rejects the internal keyword name", () => {
    const error = compileError(withTraitProperty({ type: "string", "x-ory-sh-kratos": {} }));

    expect(error.message).toContain('the keyword "x-ory-sh-kratos" is reserved');
  });

  it("accepts a trait named like the extension", () => {
    const schema = withTraitProperty({
      type: "object",
      properties: { "ory.sh/kratos": { type: "string" } },
    });
    const registry = IdentitySchemaRegistry.fromDocuments([{ id: "odd", schema }], "odd");

    expect(registry.validateTraits("odd", { field: { "ory.sh/kratos": "x" } }).ok).toBe(true);
    expect(registry.validateTraits("odd", { field: { "ory.sh/kratos": 1 } }).ok).toBe(false);
  });

  it("accepts draft 2019-09 schemas", () => {
    const schema = { $schema: "https://json-schema.org/draft/2019-09/schema", ...minimalSchema };

    expect(IdentitySchemaRegistry.fromDocuments([{ id: "d", schema }], "d").ids()).toEqual(["d"]);
  });

  it("allows two schemas with one $id", () => {
    const schema = { $id: "https://example.com/person.json", ...minimalSchema };
    const registry = IdentitySchemaRegistry.fromDocuments(
      [
        { id: "a", schema },
        { id: "b", schema },
      ],
      "a",
    );

    expect(registry.ids()).toEqual(["a", "b"]);
  });
});
