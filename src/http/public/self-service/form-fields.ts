import { propertyMissing, type UiText, wrongType } from "../../kratos/messages.ts";

/** A string field read from a decoded form or JSON body, or the message that rejects it. */
export type StringField = { ok: true; value: string } | { ok: false; message: UiText };

/**
 * Reads a required, non-empty string field. A missing or empty field gets message 4000002 and a
 * value of another JSON type gets 4000026, the ids Kratos's JSON Schema decoder gives them.
 */
export function requiredString(body: Record<string, unknown>, name: string): StringField {
  const value = Object.hasOwn(body, name) ? body[name] : undefined;
  if (value === undefined || value === null || value === "") {
    return { ok: false, message: propertyMissing(name) };
  }
  if (typeof value !== "string") {
    return { ok: false, message: wrongType(["string"], jsonTypeOf(value)) };
  }
  return { ok: true, value };
}

/** Returns the JSON Schema type name of a decoded JSON value. */
export function jsonTypeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

/** A message for a form node, or for the form itself when `node` is absent. */
export interface FormMessage {
  node?: string;
  text: UiText;
}
