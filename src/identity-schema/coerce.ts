import { failureAt } from "./failures.ts";
import { checkTraitsInput, MAX_TRAITS_DEPTH } from "./input-guard.ts";
import { genericValidationMessage } from "./messages.ts";
import type { TraitProperty } from "./trait-properties.ts";
import type { Traits, TraitsResult } from "./types.ts";

type JsonObject = Record<string, unknown>;

const NUMBER = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
// The spellings Go's strconv.ParseBool accepts, plus the `on` an HTML checkbox sends.
const TRUE_VALUES = new Set(["true", "True", "TRUE", "t", "T", "1", "on"]);
const FALSE_VALUES = new Set(["false", "False", "FALSE", "f", "F", "0", "off"]);

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Converts a posted string to the schema's type, or returns it unchanged when it does not parse. */
function coerceScalar(value: unknown, type: string | undefined): unknown {
  if (typeof value !== "string") return value;

  if (type === "number" || type === "integer") {
    const trimmed = value.trim();
    return NUMBER.test(trimmed) ? Number(trimmed) : value;
  }
  if (type === "boolean") {
    if (TRUE_VALUES.has(value)) return true;
    if (FALSE_VALUES.has(value)) return false;
  }
  return value;
}

function itemType(schema: JsonObject): string | undefined {
  const items = schema.items;
  return isObject(items) && typeof items.type === "string" ? items.type : undefined;
}

function coerceProperty(target: JsonObject, property: TraitProperty): void {
  const { name, type, required } = property;

  if (!Object.hasOwn(target, name)) {
    // An unticked checkbox is not posted at all, so a missing required boolean means false.
    if (type === "boolean" && required) target[name] = false;
    return;
  }

  const value = target[name];
  if (value === "" && !required && type !== undefined && type !== "object") {
    delete target[name];
    return;
  }

  if (type === "object" && isObject(value)) {
    coerceObject(value, property.children);
  } else if (type === "array") {
    // A form field posted once arrives as a string rather than a list.
    const list = typeof value === "string" ? [value] : value;
    if (Array.isArray(list)) {
      const items = itemType(property.schema);
      target[name] = list.map((item) => coerceScalar(item, items));
    }
  } else {
    target[name] = coerceScalar(value, type);
  }
}

function coerceObject(target: JsonObject, properties: TraitProperty[]): void {
  for (const property of properties) coerceProperty(target, property);
}

/** Sets a value at a dotted key's path, creating objects on the way. Returns false on a conflict. */
function setPath(target: JsonObject, segments: string[], value: unknown): boolean {
  let current = target;
  for (const segment of segments.slice(0, -1)) {
    const next = Object.hasOwn(current, segment) ? current[segment] : undefined;
    if (next === undefined) current[segment] = {};
    else if (!isObject(next)) return false;
    current = current[segment] as JsonObject;
  }

  const last = segments.at(-1) as string;
  if (Object.hasOwn(current, last)) return false;
  current[last] = value;
  return true;
}

function invalidKey(key: string, reason: string): TraitsResult<JsonObject> {
  const pointer = `/traits/${key.replaceAll("~", "~0").replaceAll("/", "~1").replaceAll(".", "/")}`;
  const failure = failureAt(pointer, genericValidationMessage(reason));
  return { ok: false, error: { kind: "invalid_traits", failures: [failure] } };
}

/** Expands dotted keys (`name.first`) posted by forms into nested objects. */
function expandDottedKeys(raw: JsonObject): TraitsResult<JsonObject> {
  const expanded: JsonObject = {};
  const dotted = Object.keys(raw).filter((key) => key.includes("."));

  for (const key of Object.keys(raw)) {
    if (!key.includes(".")) expanded[key] = raw[key];
  }
  for (const key of dotted) {
    const segments = key.split(".");
    // Assigning to `__proto__` would replace an object's prototype instead of adding a key.
    if (segments.length > MAX_TRAITS_DEPTH || segments.some((s) => s === "" || s === "__proto__")) {
      return invalidKey(key, `property name ${JSON.stringify(key)} is invalid`);
    }
    if (!setPath(expanded, segments, raw[key])) {
      return invalidKey(key, `property ${key} is given more than once`);
    }
  }
  return { ok: true, value: expanded };
}

/**
 * Applies Kratos's form decoding to posted traits: dotted keys become nested objects, strings
 * become numbers and booleans where the schema declares those types, empty strings of optional traits
 * are dropped and missing required booleans become false. Values that do not convert are left
 * as they are, so validation reports them. Properties the schema does not declare are kept.
 */
export function coerceTraitValues(raw: unknown, properties: TraitProperty[]): TraitsResult<Traits> {
  const problems = checkTraitsInput(raw);
  if (problems.length > 0)
    return { ok: false, error: { kind: "invalid_traits", failures: problems } };

  const expanded = expandDottedKeys(structuredClone(raw as JsonObject));
  if (!expanded.ok) return expanded;

  coerceObject(expanded.value, properties);
  return expanded;
}
