import type { AnySchemaObject, ValidateFunction } from "ajv";
import { coerceTraitValues } from "./coerce.ts";
import { compileIdentitySchema } from "./compile.ts";
import type { ExtensionCollector } from "./extension.ts";
import { extractFromHits } from "./extract.ts";
import { translateAjvErrors } from "./failures.ts";
import { describeTraitFields } from "./fields.ts";
import { checkTraitsInput } from "./input-guard.ts";
import { decodeSchemaId } from "./schema-id.ts";
import { listTraitProperties, resolveSchema, type TraitProperty } from "./trait-properties.ts";
import type {
  IdentitySchemaContainer,
  TraitField,
  Traits,
  TraitsResult,
  ValidatedTraits,
} from "./types.ts";

type SchemaObject = Record<string, unknown>;

export type IdentitySchemaErrorCode = "invalid_config" | "unreadable" | "invalid_schema";

/** Raised at start-up when the identity schema configuration or a schema is unusable. */
export class IdentitySchemaError extends Error {
  override readonly name = "IdentitySchemaError";

  constructor(
    readonly code: IdentitySchemaErrorCode,
    /** Id of the schema at fault; undefined when the configuration as a whole is. */
    readonly schemaId: string | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** An identity schema document with the id it is configured under. */
export interface IdentitySchemaDocument {
  id: string;
  schema: unknown;
}

interface CompiledSchema {
  schema: SchemaObject;
  validate: ValidateFunction;
  properties: TraitProperty[];
  fields: TraitField[];
}

function isObject(value: unknown): value is SchemaObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** Checks the shape Kratos requires of every identity schema: a `traits` object property. */
function checkIdentityShape(schema: unknown): asserts schema is SchemaObject {
  if (!isObject(schema)) throw new Error("the schema must be a JSON object");

  const properties = isObject(schema.properties) ? schema.properties : {};
  if (!isObject(properties.traits)) throw new Error('the schema must define "properties.traits"');

  const traits = resolveSchema(schema, properties.traits);
  if (traits.type !== "object") throw new Error('"properties.traits" must have "type": "object"');
  if (!isObject(traits.properties) || Object.keys(traits.properties).length === 0) {
    throw new Error('"properties.traits" must declare at least one property');
  }
}

function compileDocument({ id, schema }: IdentitySchemaDocument): CompiledSchema {
  try {
    checkIdentityShape(schema);
    const validate = compileIdentitySchema(schema as AnySchemaObject);
    const properties = listTraitProperties(schema);
    const fields = describeTraitFields(properties);
    return { schema: deepFreeze(structuredClone(schema)), validate, properties, fields };
  } catch (error) {
    const message = `identity schema ${JSON.stringify(id)} is invalid: ${(error as Error).message}`;
    throw new IdentitySchemaError("invalid_schema", id, message, { cause: error });
  }
}

/**
 * The configured identity schemas, each compiled once at start-up. Validation, coercion and
 * field descriptions of traits go through it by schema id.
 */
export class IdentitySchemaRegistry {
  private constructor(
    readonly defaultSchemaId: string,
    private readonly schemas: Map<string, CompiledSchema>,
  ) {}

  /**
   * Compiles parsed schema documents. Throws `IdentitySchemaError` naming the schema when one
   * is invalid, when two share an id, or when `defaultSchemaId` is not among them.
   */
  static fromDocuments(
    documents: IdentitySchemaDocument[],
    defaultSchemaId: string,
  ): IdentitySchemaRegistry {
    if (documents.length === 0) {
      throw new IdentitySchemaError(
        "invalid_config",
        undefined,
        "no identity schema is configured",
      );
    }

    const schemas = new Map<string, CompiledSchema>();
    for (const document of documents) {
      if (document.id === "" || schemas.has(document.id)) {
        const problem = document.id === "" ? "an empty id" : "a duplicate id";
        const message = `identity schema ${JSON.stringify(document.id)} has ${problem}; give each schema a unique, non-empty id`;
        throw new IdentitySchemaError("invalid_config", document.id, message);
      }
      schemas.set(document.id, compileDocument(document));
    }

    if (!schemas.has(defaultSchemaId)) {
      const message = `default identity schema ${JSON.stringify(defaultSchemaId)} is not configured; add it to the schemas or change the default id`;
      throw new IdentitySchemaError("invalid_config", defaultSchemaId, message);
    }
    return new IdentitySchemaRegistry(defaultSchemaId, schemas);
  }

  /** Returns the ids of the configured schemas, in configuration order. */
  ids(): string[] {
    return [...this.schemas.keys()];
  }

  has(schemaId: string): boolean {
    return this.schemas.has(schemaId);
  }

  /** Returns the schema document as configured, frozen, or undefined for an unknown id. */
  getSchema(schemaId: string): SchemaObject | undefined {
    return this.schemas.get(schemaId)?.schema;
  }

  /** Resolves the `{id}` of `GET /schemas/{id}`, given raw or base64url-encoded. */
  resolveSchemaId(param: string): string | undefined {
    if (this.schemas.has(param)) return param;

    const decoded = decodeSchemaId(param);
    return this.schemas.has(decoded) ? decoded : undefined;
  }

  /** Lists every schema as Kratos's `identitySchemaContainer` entries, for `GET /schemas`. */
  listSchemas(): IdentitySchemaContainer[] {
    return [...this.schemas].map(([id, { schema }]) => ({ id, schema }));
  }

  /** Describes the schema's scalar traits for UI nodes; undefined for an unknown id. */
  describeTraitFields(schemaId: string): TraitField[] | undefined {
    return this.schemas.get(schemaId)?.fields.map((field) => ({ ...field }));
  }

  /**
   * Validates traits against a schema and, when they are valid, extracts their normalised
   * credential identifiers and addresses. Unknown ids, traits that are not plain JSON objects
   * or exceed the limits, and schema violations are returned as failures, not thrown.
   */
  validateTraits(schemaId: string, traits: unknown): TraitsResult<ValidatedTraits> {
    const compiled = this.schemas.get(schemaId);
    if (compiled === undefined) return { ok: false, error: { kind: "schema_not_found", schemaId } };

    const problems = checkTraitsInput(traits);
    if (problems.length > 0)
      return { ok: false, error: { kind: "invalid_traits", failures: problems } };

    const collector: ExtensionCollector = { hits: [] };
    if (!compiled.validate.call(collector, { traits })) {
      const failures = translateAjvErrors(compiled.validate.errors ?? []);
      return { ok: false, error: { kind: "invalid_traits", failures } };
    }
    const valid = traits as Traits;
    return { ok: true, value: { traits: valid, extracted: extractFromHits(collector.hits) } };
  }

  /**
   * Converts posted traits to the schema's types the way Kratos decodes forms; see
   * `coerceTraitValues`. The result still needs `validateTraits`.
   */
  coerceTraits(schemaId: string, raw: unknown): TraitsResult<Traits> {
    const compiled = this.schemas.get(schemaId);
    if (compiled === undefined) return { ok: false, error: { kind: "schema_not_found", schemaId } };
    return coerceTraitValues(raw, compiled.properties);
  }
}
