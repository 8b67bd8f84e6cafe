import type { z } from "zod";
import { badRequest, type RegistrarError } from "../errors.ts";

type Issue = z.core.$ZodIssue;

/** One failed check, with the field path in the dotted form that Kratos's form fields use. */
export interface ValidationIssueJson {
  path: string;
  code: string;
  message: string;
}

/**
 * Parses `input` with `schema` and returns the result. A failure throws a 400 `bad_request`
 * whose message names the first failing field and whose `details.issues` lists all of them.
 */
export function parseInput<Schema extends z.ZodType>(
  schema: Schema,
  input: unknown,
): z.output<Schema> {
  const result = schema.safeParse(input);
  if (!result.success) throw zodErrorToRegistrarError(result.error);
  return result.data;
}

/**
 * Converts a zod failure into a 400 `bad_request`. The messages are Registrar's own, built from
 * each issue's code and limits, except for `custom` issues, whose messages Registrar's own
 * refinements write.
 */
export function zodErrorToRegistrarError(error: z.ZodError): RegistrarError {
  const issues = error.issues.map(
    (issue): ValidationIssueJson => ({
      path: formatPath(issue.path),
      code: issue.code,
      message: describeIssue(issue),
    }),
  );
  const first = issues[0];
  const message =
    first === undefined
      ? "The request is invalid."
      : `The request is invalid: ${first.path === "" ? "the body" : first.path} ${first.message}.`;

  return badRequest({
    message,
    reason: "Correct the fields listed in details.issues and retry.",
    details: { issues },
    cause: error,
  });
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((segment) => String(segment)).join(".");
}

function describeIssue(issue: Issue): string {
  switch (issue.code) {
    case "invalid_type":
      return `must be of type ${issue.expected}`;
    case "too_small":
      return describeBound(issue.origin, "at least", issue.minimum, issue.inclusive !== false);
    case "too_big":
      return describeBound(issue.origin, "at most", issue.maximum, issue.inclusive !== false);
    case "invalid_format":
      return issue.format === "regex"
        ? "must match the required pattern"
        : `must be a valid ${issue.format}`;
    case "not_multiple_of":
      return `must be a multiple of ${issue.divisor}`;
    case "unrecognized_keys":
      return `contains unknown keys: ${issue.keys.join(", ")}`;
    case "invalid_union":
      return "does not match any of the allowed shapes";
    case "invalid_key":
      return "contains an invalid key";
    case "invalid_element":
      return "contains an invalid element";
    case "invalid_value":
      return `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(", ")}`;
    case "custom":
      return issue.message;
  }
}

function describeBound(
  origin: string,
  direction: "at least" | "at most",
  limit: number | bigint,
  inclusive: boolean,
): string {
  switch (origin) {
    case "string":
      return `must be ${direction} ${limit} ${Number(limit) === 1 ? "character" : "characters"} long`;
    case "array":
    case "set":
      return `must contain ${direction} ${limit} ${Number(limit) === 1 ? "item" : "items"}`;
    default: {
      const operator = direction === "at least" ? ">" : "<";
      return `must be ${operator}${inclusive ? "=" : ""} ${limit}`;
    }
  }
}
