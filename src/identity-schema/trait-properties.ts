type SchemaObject = Record<string, unknown>;

/** A property declared under `traits`, with `$ref`s resolved and its nested properties. */
export interface TraitProperty {
  name: string;
  /** Dotted path below `traits`, e.g. `name.first`. */
  path: string;
  schema: SchemaObject;
  /** First non-null JSON type the schema declares, if any. */
  type?: string;
  required: boolean;
  children: TraitProperty[];
}

// Recursive schemas (a tree of objects through `$ref`) are listed down to this depth only.
const MAX_PROPERTY_DEPTH = 8;
const MAX_REF_HOPS = 32;

function isObject(value: unknown): value is SchemaObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function resolvePointer(root: SchemaObject, ref: string): unknown {
  const segments = ref.slice(1).split("/").slice(1);
  let current: unknown = root;
  for (const raw of segments) {
    const segment = decodeURIComponent(raw).replaceAll("~1", "/").replaceAll("~0", "~");
    if (!isObject(current) && !Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

/**
 * Follows local `$ref`s (`#/…`) and merges the keywords written beside them, as draft 2019-09
 * and later apply them. Other references were resolved or rejected when the schema compiled,
 * so they are left as they are.
 */
export function resolveSchema(root: SchemaObject, schema: unknown): SchemaObject {
  let current: unknown = schema;
  const siblings: SchemaObject[] = [];

  for (let hops = 0; hops < MAX_REF_HOPS && isObject(current); hops++) {
    const ref = current.$ref;
    if (typeof ref !== "string" || !ref.startsWith("#")) break;

    const { $ref: _, ...rest } = current;
    siblings.unshift(rest);
    current = resolvePointer(root, ref);
  }
  return Object.assign({}, isObject(current) ? current : {}, ...siblings);
}

function firstType(schema: SchemaObject): string | undefined {
  const declared = schema.type;
  if (typeof declared === "string") return declared;
  if (Array.isArray(declared)) return declared.find((type) => type !== "null");
  return undefined;
}

function listProperties(
  root: SchemaObject,
  objectSchema: SchemaObject,
  prefix: string,
  depth: number,
): TraitProperty[] {
  if (depth > MAX_PROPERTY_DEPTH || !isObject(objectSchema.properties)) return [];
  const required = Array.isArray(objectSchema.required) ? objectSchema.required : [];

  return Object.entries(objectSchema.properties).map(([name, declared]) => {
    const schema = resolveSchema(root, declared);
    const type = firstType(schema);
    const path = prefix === "" ? name : `${prefix}.${name}`;
    const children = type === "object" ? listProperties(root, schema, path, depth + 1) : [];
    return { name, path, schema, type, required: required.includes(name), children };
  });
}

/** Lists the properties of an identity schema's `traits`, in schema order. */
export function listTraitProperties(root: SchemaObject): TraitProperty[] {
  const properties = isObject(root.properties) ? root.properties : {};
  const traits = resolveSchema(root, properties.traits);
  return listProperties(root, traits, "", 0);
}
