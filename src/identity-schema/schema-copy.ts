import { EXTENSION_KEY, EXTENSION_KEYWORD } from "./extension.ts";

type Json = unknown;
type SchemaObject = Record<string, Json>;

// Keywords whose value is a map of property names to subschemas.
const SCHEMA_MAPS = new Set([
  "properties",
  "patternProperties",
  "$defs",
  "definitions",
  "dependentSchemas",
]);
// Keywords whose value is one subschema.
const SCHEMA_VALUES = new Set([
  "additionalProperties",
  "additionalItems",
  "contains",
  "propertyNames",
  "not",
  "if",
  "then",
  "else",
  "unevaluatedItems",
  "unevaluatedProperties",
  "contentSchema",
]);
// Keywords whose value is a list of subschemas.
const SCHEMA_LISTS = new Set(["allOf", "anyOf", "oneOf", "prefixItems"]);

function isObject(value: Json): value is SchemaObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function copySchema(schema: Json): Json {
  if (!isObject(schema)) return schema;
  if (EXTENSION_KEYWORD in schema) {
    throw new Error(`the keyword "${EXTENSION_KEYWORD}" is reserved; use "${EXTENSION_KEY}"`);
  }

  const copy: SchemaObject = {};
  for (const [key, value] of Object.entries(schema)) {
    const target = key === EXTENSION_KEY ? EXTENSION_KEYWORD : key;
    copy[target] = copyKeyword(key, value);
  }
  return copy;
}

function copyKeyword(key: string, value: Json): Json {
  if (SCHEMA_MAPS.has(key) && isObject(value)) return mapValues(value, copySchema);
  if (SCHEMA_VALUES.has(key)) return copySchema(value);
  if (SCHEMA_LISTS.has(key) && Array.isArray(value)) return value.map(copySchema);
  if (key === "items") return Array.isArray(value) ? value.map(copySchema) : copySchema(value);
  if (key === "dependencies" && isObject(value)) {
    return mapValues(value, (entry) => (Array.isArray(entry) ? entry : copySchema(entry)));
  }
  return value;
}

function mapValues(object: SchemaObject, map: (value: Json) => Json): SchemaObject {
  const copy: SchemaObject = {};
  for (const [key, value] of Object.entries(object)) copy[key] = map(value);
  return copy;
}

/**
 * Copies an identity schema for Ajv, moving each `ory.sh/kratos` extension under the keyword
 * name Ajv can register. Only schema positions are rewritten, so a trait that happens to be
 * named `ory.sh/kratos` keeps its name. Throws when the schema already uses the internal name.
 */
export function copySchemaForAjv(schema: SchemaObject): SchemaObject {
  return copySchema(schema) as SchemaObject;
}
