import type { TraitProperty } from "./trait-properties.ts";
import type { TraitField, TraitInputType } from "./types.ts";

type FormatRendering = Pick<TraitField, "type" | "autocomplete">;

// Input types and autocomplete hints per `format`, as Kratos's `NewInputFieldFromSchema` sets
// them (`ui/node/attributes_input.go`).
const FORMAT_RENDERING: Record<string, FormatRendering> = {
  email: { type: "email", autocomplete: "email" },
  tel: { type: "tel", autocomplete: "tel" },
  uri: { type: "url", autocomplete: "url" },
  date: { type: "date" },
  "date-time": { type: "datetime-local" },
};

const TYPE_RENDERING: Record<string, TraitInputType> = {
  string: "text",
  number: "number",
  integer: "number",
  boolean: "checkbox",
};

function describe(property: TraitProperty, inputType: TraitInputType): TraitField {
  const { schema } = property;
  const rendering = (typeof schema.format === "string" && FORMAT_RENDERING[schema.format]) || {
    type: inputType,
  };

  const field: TraitField = {
    name: `traits.${property.path}`,
    ...rendering,
    required: property.required,
  };
  if (typeof schema.title === "string") field.title = schema.title;
  if (typeof schema.pattern === "string") field.pattern = schema.pattern;
  if (typeof schema.maxLength === "number") field.maxLength = schema.maxLength;
  if (Array.isArray(schema.enum)) field.options = [...schema.enum];
  return field;
}

/**
 * Describes each scalar trait (string, number, integer, boolean) for the UI, nested objects
 * flattened into dotted names in schema order. Arrays and untyped properties have no input
 * node and are left out.
 */
export function describeTraitFields(properties: TraitProperty[]): TraitField[] {
  const fields: TraitField[] = [];
  for (const property of properties) {
    if (property.type === "object") {
      fields.push(...describeTraitFields(property.children));
      continue;
    }

    const inputType = property.type === undefined ? undefined : TYPE_RENDERING[property.type];
    if (inputType !== undefined) fields.push(describe(property, inputType));
  }
  return fields;
}
