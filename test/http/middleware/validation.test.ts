import { describe, expect, test } from "vitest";
import { z } from "zod";
import { RegistrarError } from "../../../src/http/errors.ts";
import { parseInput, zodErrorToRegistrarError } from "../../../src/http/middleware/validation.ts";

const loginBody = z.object({
  method: z.literal("password"),
  identifier: z.string().min(1).max(320),
  password: z.string().min(8),
  traits: z
    .object({ email: z.email(), age: z.number().int().gte(0).lt(300).optional() })
    .optional(),
  codes: z.array(z.string()).max(2).optional(),
  tags: z.array(z.string()).min(1).optional(),
});

function failureOf(input: unknown): RegistrarError {
  try {
    parseInput(loginBody, input);
  } catch (error) {
    if (error instanceof RegistrarError) return error;
    throw error;
  }
  throw new Error("input was accepted");
}

const valid = { method: "password", identifier: "ada", password: "correct horse" };

describe("parseInput", () => {
  test("returns parsed data", () => {
    expect(parseInput(loginBody, valid)).toEqual(valid);
  });

  test("names the field path", () => {
    const error = failureOf({ ...valid, traits: { email: "not-an-email" } });

    expect(error.id).toBe("bad_request");
    expect(error.status).toBe(400);
    expect(error.message).toBe("The request is invalid: traits.email must be a valid email.");
    expect(error.details).toEqual({
      issues: [{ path: "traits.email", code: "invalid_format", message: "must be a valid email" }],
    });
  });

  test("lists every issue", () => {
    const error = failureOf({ method: "totp", password: "short" });
    const issues = (error.details as { issues: { path: string; message: string }[] }).issues;

    expect(issues.map((issue) => issue.path)).toEqual(["method", "identifier", "password"]);
    expect(issues.map((issue) => issue.message)).toEqual([
      'must be one of "password"',
      "must be of type string",
      "must be at least 8 characters long",
    ]);
  });

  test.each([
    [{ traits: { email: "a@b.io", age: 300 } }, "traits.age", "must be < 300"],
    [{ traits: { email: "a@b.io", age: -1 } }, "traits.age", "must be >= 0"],
    [{ traits: { email: "a@b.io", age: 1.5 } }, "traits.age", "must be of type int"],
    [{ codes: ["a", "b", "c"] }, "codes", "must contain at most 2 items"],
    [{ tags: [] }, "tags", "must contain at least 1 item"],
    [{ codes: ["a", 2] }, "codes.1", "must be of type string"],
    [{ identifier: "x".repeat(321) }, "identifier", "must be at most 320 characters long"],
  ])("%j fails at the path", (patch, path, message) => {
    const error = failureOf({ ...valid, ...patch });

    expect(error.message).toBe(`The request is invalid: ${path} ${message}.`);
  });

  test("names the body for root failures", () => {
    expect(failureOf("text").message).toBe(
      "The request is invalid: the body must be of type object.",
    );
  });

  test("keeps refinement messages", () => {
    const schema = z.string().refine((value) => value !== "admin", "must not be a reserved name");
    const result = schema.safeParse("admin");
    if (result.success) throw new Error("refinement passed");

    expect(zodErrorToRegistrarError(result.error).message).toBe(
      "The request is invalid: the body must not be a reserved name.",
    );
  });

  test("keeps zod's message out of the body", () => {
    const error = failureOf({ ...valid, password: 5 });

    expect(error.message).not.toContain("Invalid input");
    expect(error.cause).toBeInstanceOf(z.ZodError);
  });
});
