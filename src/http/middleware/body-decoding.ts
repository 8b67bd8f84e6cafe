import { badRequest, RegistrarError } from "../errors.ts";

// Keys that reach Object.prototype or a constructor when a later step assigns by key.
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/** Maximum nesting of objects and arrays, and of the segments of a dotted key. */
export const MAX_BODY_DEPTH = 32;

function rejectBody(message: string, cause?: unknown): never {
  throw badRequest({ message, reason: "Correct the request body and retry.", cause });
}

function checkKey(key: string): void {
  if (FORBIDDEN_KEYS.has(key)) rejectBody(`The request body contains the forbidden key "${key}".`);
  if (key.includes("\0")) rejectBody("The request body contains a NUL character in a key.");
  if (!key.isWellFormed()) rejectBody("The request body contains a lone surrogate in a key.");
}

/**
 * Rejects string values that PostgreSQL cannot store as jsonb or text: NUL characters and lone
 * UTF-16 surrogates (`"\uD800"`), which JSON.parse accepts. Let through, such a value fails
 * only later, when a read model writes it, and stalls that projection.
 */
function checkString(value: string): void {
  if (value.includes("\0")) {
    rejectBody("The request body contains a NUL character in a string value.");
  }
  if (!value.isWellFormed()) {
    rejectBody("The request body contains a lone surrogate in a string value.");
  }
}

/**
 * Parses JSON text. The reviver rejects forbidden keys and NUL characters in keys and string
 * values. JSON.parse stores a `__proto__` key as an own property, so parsing alone changes no
 * prototype. The check protects the later steps that copy members by key.
 * Duplicate keys keep the last value, as Go's encoding/json in Kratos does.
 */
export function decodeJson(text: string, maxDepth = MAX_BODY_DEPTH): unknown {
  rejectDeepNesting(text, maxDepth);
  let value: unknown;
  try {
    value = JSON.parse(text, function checkMember(key: string, member: unknown) {
      checkKey(key);
      if (typeof member === "string") checkString(member);
      return member;
    });
  } catch (error) {
    if (error instanceof RegistrarError) throw error;
    rejectBody("The request body is not valid JSON.", error);
  }

  return value;
}

/**
 * Counts open objects and arrays outside strings before parsing, so that a body nested
 * thousands of levels deep gets the nesting message instead of overflowing the parser's stack.
 * Unbalanced brackets are left for `JSON.parse` to reject.
 */
function rejectDeepNesting(text: string, maxDepth: number): void {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === 0x5c) index += 1;
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) {
      inString = true;
    } else if (code === 0x7b || code === 0x5b) {
      depth += 1;
      if (depth > maxDepth) {
        rejectBody(`The request body is nested deeper than ${maxDepth} levels.`);
      }
    } else if (code === 0x7d || code === 0x5d) {
      depth -= 1;
    }
  }
}

/**
 * Decodes `application/x-www-form-urlencoded` text into the nested shape Kratos accepts:
 * `traits.email=a` becomes `{ traits: { email: "a" } }`. A key sent more than once gives an
 * array of its values. Values stay strings, and the identity schema's types are applied later.
 */
export function decodeForm(text: string): Record<string, unknown> {
  const grouped = new Map<string, string[]>();
  for (const [key, value] of new URLSearchParams(text)) {
    checkString(value);
    if (!key.isWellFormed()) rejectBody("The request body contains a lone surrogate in a key.");
    const values = grouped.get(key);
    if (values === undefined) grouped.set(key, [value]);
    else values.push(value);
  }

  const result: Record<string, unknown> = {};
  for (const [key, values] of grouped) {
    assignPath(result, splitDottedKey(key), values.length === 1 ? values[0] : values);
  }
  return result;
}

/**
 * Expands the dotted keys of a JSON object's top level, because Kratos's JSON bodies follow the
 * form format: `{"traits.email": "a"}` equals `{"traits": {"email": "a"}}`. Keys inside nested
 * objects stay as they are, since they can be data such as metadata. Two keys that set the same
 * member are rejected.
 */
export function expandDottedKeys(body: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    assignPath(result, key.includes(".") ? splitDottedKey(key) : [key], value);
  }
  return result;
}

function splitDottedKey(key: string): string[] {
  const segments = key.split(".");
  if (segments.length > MAX_BODY_DEPTH) {
    rejectBody(`The request body is nested deeper than ${MAX_BODY_DEPTH} levels.`);
  }
  for (const segment of segments) {
    if (segment === "") rejectBody(`The request body key "${key}" has an empty segment.`);
    checkKey(segment);
  }
  return segments;
}

function assignPath(target: Record<string, unknown>, segments: string[], value: unknown): void {
  let current = target;
  for (const segment of segments.slice(0, -1)) {
    if (!Object.hasOwn(current, segment)) current[segment] = {};
    const next = current[segment];
    if (!isPlainObject(next)) rejectConflict(segments);
    current = next;
  }

  const last = segments[segments.length - 1] as string;
  if (!Object.hasOwn(current, last)) {
    current[last] = value;
  } else {
    const existing = current[last];
    if (!isPlainObject(existing) || !isPlainObject(value)) rejectConflict(segments);
    for (const [key, member] of Object.entries(value)) assignPath(existing, [key], member);
  }
}

function rejectConflict(segments: string[]): never {
  rejectBody(`The request body sets "${segments.join(".")}" more than once.`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
