import { failureAt, jsonTypeOf } from "./failures.ts";
import { genericValidationMessage, wrongTypeMessage } from "./messages.ts";
import type { TraitFailure, Traits } from "./types.ts";

/** Maximum size of a traits object serialised as JSON, in bytes. */
export const MAX_TRAITS_BYTES = 64 * 1024;
/** Maximum nesting depth of objects and arrays inside traits. */
export const MAX_TRAITS_DEPTH = 16;
// A 64 KiB JSON document contains at most about 32,000 values (`[0,0,…]`); the walk stops past
// this count so that objects shared many times over cannot make it run for long.
const MAX_TRAITS_VALUES = 40_000;

const TRAITS_POINTER = "/traits";

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function isJsonScalar(value: unknown): boolean {
  return (
    value === null ||
    typeof value === "string" ||
    typeof value === "boolean" ||
    (typeof value === "number" && Number.isFinite(value))
  );
}

/**
 * Walks a value without recursion, so deep nesting cannot exhaust the stack, and returns the
 * reason it is not plain JSON within the depth limit, or undefined when it is.
 */
function findStructuralProblem(root: unknown): string | undefined {
  const stack: { value: unknown; depth: number }[] = [{ value: root, depth: 0 }];
  let visited = 0;

  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value, depth } = item;
    visited += 1;
    if (visited > MAX_TRAITS_VALUES) return `traits contain more than ${MAX_TRAITS_VALUES} values`;
    if (isJsonScalar(value)) continue;
    if (depth >= MAX_TRAITS_DEPTH)
      return `traits are nested deeper than ${MAX_TRAITS_DEPTH} levels`;

    if (Array.isArray(value)) {
      for (const element of value) stack.push({ value: element, depth: depth + 1 });
      continue;
    }
    if (!isPlainObject(value)) return "traits must contain only JSON values";

    for (const key of Object.keys(value)) {
      // `__proto__` is an own key after JSON.parse, but assigning it elsewhere replaces an
      // object's prototype, so it is rejected wherever it appears.
      if (key === "__proto__") return 'property "__proto__" is not allowed';
      stack.push({ value: value[key], depth: depth + 1 });
    }
  }
  return undefined;
}

/**
 * Checks that traits are a plain JSON object within the size and depth limits, before they
 * are validated against a schema. Returns the failures, empty when the traits may be validated.
 */
export function checkTraitsInput(traits: unknown): TraitFailure[] {
  if (!isPlainObject(traits)) {
    return [failureAt(TRAITS_POINTER, wrongTypeMessage(["object"], jsonTypeOf(traits)))];
  }

  const problem = findStructuralProblem(traits);
  if (problem !== undefined) return [failureAt(TRAITS_POINTER, genericValidationMessage(problem))];

  const size = Buffer.byteLength(JSON.stringify(traits satisfies Traits), "utf8");
  if (size > MAX_TRAITS_BYTES) {
    const reason = `traits are ${size} bytes long, but at most ${MAX_TRAITS_BYTES} bytes are allowed`;
    return [failureAt(TRAITS_POINTER, genericValidationMessage(reason))];
  }
  return [];
}
