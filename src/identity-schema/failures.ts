import type { ErrorObject } from "ajv";
import {
  constantMessage,
  emailMessage,
  genericValidationMessage,
  limitMessage,
  maxItemsMessage,
  maxLengthMessage,
  minItemsMessage,
  minLengthMessage,
  multipleOfMessage,
  patternMessage,
  phoneMessage,
  requiredMessage,
  type UiMessage,
  uniqueItemsMessage,
  wrongTypeMessage,
} from "./messages.ts";
import type { TraitFailure } from "./types.ts";

/** Converts a JSON pointer (`/traits/name/first`) to the dotted UI node name. */
export function pointerToPath(pointer: string): string {
  return pointer
    .split("/")
    .slice(1)
    .map((segment) => segment.replaceAll("~1", "/").replaceAll("~0", "~"))
    .join(".");
}

function escapeSegment(segment: string): string {
  return segment.replaceAll("~", "~0").replaceAll("/", "~1");
}

export function failureAt(pointer: string, message: UiMessage): TraitFailure {
  return { pointer, path: pointerToPath(pointer), message };
}

/** JSON type name of a value as JSON Schema validators report it. */
export function jsonTypeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "object") return "object";
  return typeof value;
}

function codePointLength(value: unknown): number {
  return typeof value === "string" ? [...value].length : 0;
}

function numberParam(error: ErrorObject, name: string): number {
  const value = (error.params as Record<string, unknown>)[name];
  return typeof value === "number" ? value : Number.NaN;
}

function formatMessage(error: ErrorObject): UiMessage {
  const format = String((error.params as { format?: unknown }).format);
  const value = typeof error.data === "string" ? error.data : JSON.stringify(error.data);
  if (format === "email") return emailMessage(value);
  if (format === "tel") return phoneMessage(value);
  return genericValidationMessage(
    `${JSON.stringify(value)} is not valid ${JSON.stringify(format)}`,
  );
}

function typeMessage(error: ErrorObject): UiMessage {
  const declared = error.schema;
  const allowed = Array.isArray(declared) ? declared.map(String) : [String(declared)];
  return wrongTypeMessage(allowed, jsonTypeOf(error.data));
}

/** Maps a single-value Ajv error to the Kratos message for the same JSON Schema keyword. */
function messageFor(error: ErrorObject): UiMessage {
  switch (error.keyword) {
    case "type":
      return typeMessage(error);
    case "minLength":
      return minLengthMessage(numberParam(error, "limit"), codePointLength(error.data));
    case "maxLength":
      return maxLengthMessage(numberParam(error, "limit"), codePointLength(error.data));
    case "pattern":
      return patternMessage(String((error.params as { pattern?: unknown }).pattern));
    case "format":
      return formatMessage(error);
    case "minimum":
    case "exclusiveMinimum":
    case "maximum":
    case "exclusiveMaximum":
      return limitMessage(error.keyword, numberParam(error, "limit"), Number(error.data));
    case "multipleOf":
      return multipleOfMessage(numberParam(error, "multipleOf"), Number(error.data));
    case "maxItems":
      return maxItemsMessage(numberParam(error, "limit"), (error.data as unknown[]).length);
    case "minItems":
      return minItemsMessage(numberParam(error, "limit"), (error.data as unknown[]).length);
    case "uniqueItems": {
      const [first, second] = [numberParam(error, "i"), numberParam(error, "j")].sort(
        (a, b) => a - b,
      );
      return uniqueItemsMessage(first ?? Number.NaN, second ?? Number.NaN);
    }
    case "const":
      return constantMessage((error.params as { allowedValue?: unknown }).allowedValue);
    case "enum": {
      const allowed = (error.params as { allowedValues?: unknown[] }).allowedValues ?? [];
      return genericValidationMessage(
        `value must be one of ${allowed.map((value) => JSON.stringify(value)).join(", ")}`,
      );
    }
    case "false schema":
      return genericValidationMessage("property is not allowed");
    default:
      return genericValidationMessage(`${error.keyword} failed`);
  }
}

// Ajv also reports a failure of these keywords through the errors of their subschemas, so a
// message of their own would only repeat those.
const SUMMARY_KEYWORDS = new Set(["if", "allOf", "$ref", "$dynamicRef"]);
const MISSING_PROPERTY_KEYWORDS = new Set(["required", "dependentRequired", "dependencies"]);

/**
 * Translates Ajv errors into failures with Kratos's message ids and texts, one per field.
 * Missing properties are reported at the missing property's own path, as Kratos does, and
 * all properties an object may not have are reported in one message on the object.
 */
export function translateAjvErrors(errors: ErrorObject[]): TraitFailure[] {
  const failures: TraitFailure[] = [];
  const unexpected = new Map<string, string[]>();

  for (const error of errors) {
    const params = error.params as Record<string, unknown>;
    if (SUMMARY_KEYWORDS.has(error.keyword)) continue;

    if (MISSING_PROPERTY_KEYWORDS.has(error.keyword)) {
      const missing = String(params.missingProperty);
      const pointer = `${error.instancePath}/${escapeSegment(missing)}`;
      failures.push(failureAt(pointer, requiredMessage(missing)));
      continue;
    }

    if (error.keyword === "additionalProperties" || error.keyword === "unevaluatedProperties") {
      const name = String(params.additionalProperty ?? params.unevaluatedProperty);
      const names = unexpected.get(error.instancePath) ?? [];
      if (names.length === 0) unexpected.set(error.instancePath, names);
      names.push(JSON.stringify(name));
      continue;
    }

    failures.push(failureAt(error.instancePath, messageFor(error)));
  }

  for (const [pointer, names] of unexpected) {
    const reason = `additionalProperties ${names.join(", ")} not allowed`;
    failures.push(failureAt(pointer, genericValidationMessage(reason)));
  }
  return failures;
}
