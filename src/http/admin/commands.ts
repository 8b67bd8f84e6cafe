import type Router from "@koa/router";
import type { Context } from "koa";
import type { AdminScope } from "../../app/api-keys.ts";
import type { Registrar } from "../../app/registrar.ts";
import { canonicalJson } from "../../eventstore/canonical-json.ts";
import { IdempotencyKeys } from "../../queries/idempotency-keys.ts";
import { forbidden, notFound } from "../errors.ts";
import { parseInput } from "../middleware/validation.ts";
import { apiKeyOf, requireScope } from "./api-key-auth.ts";
import { adminCommands } from "./commands-catalogue.ts";
import { runIdempotently } from "./commands-idempotency.ts";
import { executeAdminCommand } from "./identities-shared.ts";

/** Registers the native command endpoint `POST /admin/commands/{name}`. */
export function registerCommandRoutes(router: Router, registrar: Registrar): void {
  router.post("/admin/commands/:name", requireScope("commands:write"), runCommand(registrar));
}

/**
 * Runs one identity command by name. The body is parsed strictly (unknown fields are a 400),
 * and the response is `{ stream_id, version, position }`, where `position` is null when the
 * command changed nothing. An `Idempotency-Key` header makes a retry return the first response.
 */
/**
 * The scope each command needs besides `commands:write`, the same as the matching REST route,
 * so the command endpoint grants nothing the key could not do otherwise.
 */
const commandScopes: Record<string, AdminScope> = {
  RevokeSession: "sessions:write",
  RevokeAllSessions: "sessions:write",
};

function runCommand(registrar: Registrar) {
  const keys = new IdempotencyKeys(registrar.pool);

  return async function runCommandRoute(ctx: Context) {
    const name = String(ctx.params.name ?? "");
    const definition = Object.hasOwn(adminCommands, name) ? adminCommands[name] : undefined;
    if (!definition) {
      throw notFound({
        message: `The command ${JSON.stringify(name.slice(0, 100))} does not exist.`,
        reason: `Use one of ${Object.keys(adminCommands).join(", ")}.`,
      });
    }
    const scope = commandScopes[name] ?? "identities:write";
    if (!apiKeyOf(ctx).scopes.has(scope)) {
      throw forbidden({
        message: `The API key lacks the ${scope} scope that ${name} needs.`,
        reason: `Use an API key that has the commands:write and ${scope} scopes.`,
      });
    }
    const input = parseInput(definition.schema, ctx.state.body ?? {});

    const requestDigest = registrar.personalData.claims.claimKey(
      "idempotency_request",
      canonicalJson({ command: name, body: ctx.state.body ?? {} }),
    );
    await runIdempotently(ctx, keys, requestDigest, async () => {
      const command = await definition.toCommand(registrar, input, new Date().toISOString());
      const outcome = await executeAdminCommand(ctx, registrar, command);
      return {
        status: 200,
        body: {
          stream_id: outcome.streamId,
          version: outcome.version,
          position: outcome.position ?? null,
        },
      };
    });
  };
}
