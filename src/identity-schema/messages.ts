/**
 * A UI message in Kratos's shape (`text/message.go`). `@ory/elements-react` translates messages
 * by `id` and fills placeholders from `context`, so ids and context keys must match Kratos.
 */
export interface UiMessage {
  id: number;
  text: string;
  type: "info" | "error" | "success";
  context?: Record<string, unknown>;
}

/** Kratos's validation message ids used for identity traits (`text/id.go`). */
export const ValidationMessageId = {
  generic: 4000001,
  required: 4000002,
  minLength: 4000003,
  invalidFormat: 4000004,
  maxLength: 4000017,
  minimum: 4000018,
  exclusiveMinimum: 4000019,
  maximum: 4000020,
  exclusiveMaximum: 4000021,
  multipleOf: 4000022,
  maxItems: 4000023,
  minItems: 4000024,
  uniqueItems: 4000025,
  wrongType: 4000026,
  constant: 4000029,
  constantGeneric: 4000030,
  email: 4000040,
  phone: 4000041,
} as const;

function error(id: number, text: string, context?: Record<string, unknown>): UiMessage {
  return context === undefined ? { id, text, type: "error" } : { id, text, type: "error", context };
}

export function genericValidationMessage(reason: string): UiMessage {
  return error(ValidationMessageId.generic, reason, { reason });
}

export function requiredMessage(property: string): UiMessage {
  return error(ValidationMessageId.required, `Property ${property} is missing.`, { property });
}

export function minLengthMessage(minLength: number, actualLength: number): UiMessage {
  return error(
    ValidationMessageId.minLength,
    `length must be >= ${minLength}, but got ${actualLength}`,
    { min_length: minLength, actual_length: actualLength },
  );
}

export function maxLengthMessage(maxLength: number, actualLength: number): UiMessage {
  return error(
    ValidationMessageId.maxLength,
    `length must be <= ${maxLength}, but got ${actualLength}`,
    { max_length: maxLength, actual_length: actualLength },
  );
}

export function patternMessage(pattern: string): UiMessage {
  return error(
    ValidationMessageId.invalidFormat,
    `does not match pattern ${JSON.stringify(pattern)}`,
    { pattern },
  );
}

type Comparison = "minimum" | "exclusiveMinimum" | "maximum" | "exclusiveMaximum";

const comparisons: Record<Comparison, { operator: string; contextKey: string }> = {
  minimum: { operator: ">=", contextKey: "minimum" },
  exclusiveMinimum: { operator: ">", contextKey: "minimum" },
  maximum: { operator: "<=", contextKey: "maximum" },
  exclusiveMaximum: { operator: "<", contextKey: "maximum" },
};

export function limitMessage(keyword: Comparison, limit: number, actual: number): UiMessage {
  const { operator, contextKey } = comparisons[keyword];
  const text = `must be ${operator} ${limit} but found ${actual}`;
  return error(ValidationMessageId[keyword], text, { [contextKey]: limit, actual });
}

export function multipleOfMessage(base: number, actual: number): UiMessage {
  return error(ValidationMessageId.multipleOf, `${actual} not multipleOf ${base}`, {
    base,
    actual,
  });
}

export function maxItemsMessage(maxItems: number, actualItems: number): UiMessage {
  return error(
    ValidationMessageId.maxItems,
    `maximum ${maxItems} items allowed, but found ${actualItems} items`,
    { max_items: maxItems, actual_items: actualItems },
  );
}

export function minItemsMessage(minItems: number, actualItems: number): UiMessage {
  return error(
    ValidationMessageId.minItems,
    `minimum ${minItems} items allowed, but found ${actualItems} items`,
    { min_items: minItems, actual_items: actualItems },
  );
}

export function uniqueItemsMessage(indexA: number, indexB: number): UiMessage {
  return error(
    ValidationMessageId.uniqueItems,
    `items at index ${indexA} and ${indexB} are equal`,
    {
      index_a: indexA,
      index_b: indexB,
    },
  );
}

export function wrongTypeMessage(allowedTypes: string[], actualType: string): UiMessage {
  return error(
    ValidationMessageId.wrongType,
    `expected ${allowedTypes.join(" or ")}, but got ${actualType}`,
    { allowed_types: allowedTypes, actual_type: actualType },
  );
}

export function constantMessage(expected: unknown): UiMessage {
  const expectedJson = JSON.stringify(expected);
  return error(ValidationMessageId.constant, `must be equal to constant ${expectedJson}`, {
    expected: expectedJson,
  });
}

// NOTE: some Kratos versions send "<value> is not a valid email address" under this id and
// context. This text matches Ory Elements' catalogue; clients translate by id and context.
export function emailMessage(value: string): UiMessage {
  return error(ValidationMessageId.email, "Enter a valid email address", { value });
}

export function phoneMessage(value: string): UiMessage {
  return error(ValidationMessageId.phone, "Enter a valid phone number", { value });
}
