import jsonPatch, { type Operation } from "fast-json-patch";
import type { Context } from "koa";
import { z } from "zod";
import type { Registrar } from "../../app/registrar.ts";
import { badRequest, RegistrarError } from "../errors.ts";
import type { IdentityJson } from "../kratos/identity-json.ts";
import { parseInput } from "../middleware/validation.ts";
import { updateIdentityBodySchema } from "./identities-body.ts";
import { identityIdParam, loadIdentityOrThrow, renderAdminIdentity } from "./identities-shared.ts";
import { applyReplacement } from "./identities-update.ts";

// Registrar's bound, so one request cannot queue unbounded work.
const maxOperations = 100;

const operationSchema = z.strictObject({
  op: z.enum(["add", "remove", "replace", "move", "copy", "test"]),
  path: z.string().max(1000),
  from: z.string().max(1000).optional(),
  value: z.json().optional(),
});
const patchDocumentSchema = z.array(operationSchema).min(1).max(maxOperations);

// Paths that JSON Patch may not touch. Kratos protects the same ones (and spells one of them
// `stateChangedAt`); the others are read-only and ignored when changed.
const protectedPaths = [
  "/id",
  "/state_changed_at",
  "/stateChangedAt",
  "/credentials/oidc",
  "/credentials/saml",
];

/**
 * `PATCH /admin/identities/{id}`: applies an RFC 6902 JSON Patch to the identity's admin JSON,
 * including `credentials.password.config` (a new `hashed_password`, or a plaintext `password`
 * that is hashed here), then validates the result and replaces the identity with it.
 */
export function patchIdentity(registrar: Registrar) {
  return async function patchIdentityRoute(ctx: Context) {
    const id = identityIdParam(ctx);
    const operations = parseInput(patchDocumentSchema, ctx.state.body) as Operation[];
    rejectProtectedPaths(operations);

    const current = await loadIdentityOrThrow(registrar, id);
    const before = renderAdminIdentity(registrar, current, ["password"]);
    const patched = applyOperations(before, operations);
    if (patched.id !== before.id) throw protectedPathError("/id");

    const body = parseInput(updateIdentityBodySchema, updateBodyOf(before, patched));
    ctx.body = await applyReplacement(ctx, registrar, current, body, "clear");
  };
}

// fast-json-patch throws a TypeError on these segments; rejecting them first gives a clean 400.
const prototypeSegments = new Set(["__proto__", "constructor", "prototype"]);

function rejectProtectedPaths(operations: readonly Operation[]): void {
  for (const operation of operations) {
    const from = "from" in operation ? operation.from : undefined;
    for (const pointer of [operation.path, from]) {
      if (pointer === undefined) continue;
      const hit = protectedPaths.find((path) => pointer === path || pointer.startsWith(`${path}/`));
      if (hit) throw protectedPathError(hit);
      if (pointer.split("/").some((segment) => prototypeSegments.has(segment))) {
        throw protectedPathError(pointer);
      }
    }
  }
}

function protectedPathError(path: string) {
  return badRequest({
    message: `The JSON Patch may not change ${path}.`,
    reason: "Remove the operations on this path and retry.",
    details: { path },
  });
}

// Largest patched identity, as JSON; `copy` operations could otherwise double it each time.
const maxPatchedBytes = 256 * 1024;

/**
 * Applies the operations one at a time, checking the document's size after each, so that a
 * chain of `copy` operations cannot grow it exponentially before anything looks at it.
 */
function applyOperations(document: IdentityJson, operations: Operation[]): Record<string, unknown> {
  try {
    let current = structuredClone(document) as unknown as Record<string, unknown>;
    for (const [index, operation] of operations.entries()) {
      current = jsonPatch.applyOperation(current, operation, true, true, true, index).newDocument;
      if (JSON.stringify(current).length > maxPatchedBytes) {
        throw badRequest({
          message: `The patched identity would be larger than ${maxPatchedBytes} bytes.`,
          reason: "Send smaller values.",
          details: { operation_index: index },
        });
      }
    }
    return current;
  } catch (error) {
    if (error instanceof RegistrarError) throw error;
    // fast-json-patch raises a TypeError rather than its own error for some impossible moves,
    // such as moving a value into one of its own children.
    if (!(error instanceof jsonPatch.JsonPatchError) && !(error instanceof TypeError)) throw error;
    const index = error instanceof jsonPatch.JsonPatchError ? (error.index ?? null) : null;
    throw badRequest({
      message: "The JSON Patch could not be applied.",
      reason: "Check each operation's path against the identity and the values of test operations.",
      details: { failure: error.name, operation_index: index },
      cause: error,
    });
  }
}

/**
 * Picks the fields of an update body from the patched JSON. A password credential goes into the
 * body only when the patch changed its hash or added a plaintext `password`.
 */
function updateBodyOf(before: IdentityJson, patched: Record<string, unknown>): unknown {
  const body: Record<string, unknown> = {
    schema_id: patched.schema_id,
    traits: patched.traits,
    state: patched.state,
    metadata_public: patched.metadata_public,
    metadata_admin: patched.metadata_admin,
    external_id: patched.external_id,
    verifiable_addresses: patched.verifiable_addresses,
  };
  const config = passwordConfigOf(patched);
  const previousHash = before.credentials?.password?.config?.hashed_password;
  if (config?.password !== undefined) {
    body.credentials = { password: { config: { password: config.password } } };
  } else if (config?.hashed_password !== undefined && config.hashed_password !== previousHash) {
    body.credentials = { password: { config: { hashed_password: config.hashed_password } } };
  }
  return body;
}

function passwordConfigOf(
  patched: Record<string, unknown>,
): { password?: unknown; hashed_password?: unknown } | undefined {
  const credentials = patched.credentials as Record<string, unknown> | undefined;
  const password = credentials?.password as Record<string, unknown> | undefined;
  const config = password?.config;
  return typeof config === "object" && config !== null ? config : undefined;
}
