import type { Context } from "koa";
import type { Registrar } from "../../app/registrar.ts";
import type { CommandContext } from "../../commands/identity-command-handler.ts";
import type { Position } from "../../eventstore/port.ts";
import {
  type GenericErrorJson,
  internalServerError,
  RegistrarError,
  renderErrorEnvelope,
} from "../errors.ts";
import { requestIdOf } from "../middleware/request-id.ts";
import { commandContext } from "../request-context.ts";
import { adminActor } from "./api-key-auth.ts";
import { type IdentityPatch, parseBatchBody } from "./identities-batch-body.ts";
import { type PreparedEntry, prepareBatch } from "./identities-batch-preparation.ts";
import { commandFailureToError } from "./identities-errors.ts";

/** Kratos's `identityPatchResponse`. */
interface IdentityPatchResponse {
  action: "create" | "error";
  identity?: string;
  patch_id?: string;
  error?: GenericErrorJson;
}

/** Progress of one batch request. */
interface BatchRun {
  registrar: Registrar;
  context: CommandContext;
  requestId: string | undefined;
  /** Position of the last appended event, to wait for once at the end. */
  lastPosition?: Position;
  /** The first server error, after which the remaining entries are not attempted. */
  fault?: unknown;
}

/**
 * `PATCH /admin/identities`: Kratos's batch create. Each entry is created as
 * `POST /admin/identities` would create it, or gets the error that request would respond with,
 * in request order. Entries run one after another, so of two entries with the same identifier
 * the first is created and the second gets the 409. After a server error, the remaining entries
 * are not attempted and get a 500 each. Always responds 200 once the body is valid.
 */
export function batchCreateIdentities(registrar: Registrar) {
  const logger = registrar.logger.child({ component: "identities_batch" });

  return async function batchCreateIdentitiesRoute(ctx: Context) {
    const patches = parseBatchBody(ctx.state.body);
    const run: BatchRun = {
      registrar,
      context: commandContext(ctx, adminActor(ctx)),
      requestId: requestIdOf(ctx),
    };
    const preparation = prepareBatch(registrar, patches);

    const results: IdentityPatchResponse[] = [];
    for (const [index, patch] of patches.entries()) {
      const prepared = await preparation.entries[index]!;
      results.push(await createEntry(run, patch, prepared));
      if (run.fault !== undefined) preparation.stop();
    }
    if (run.lastPosition) await registrar.sessions.waitForIdentities(run.lastPosition);

    if (run.fault !== undefined) {
      logger.error(
        { request_id: run.requestId, err: run.fault },
        "batch identity create stopped after a server error",
      );
    }
    logger.info(
      { request_id: run.requestId, ...countResults(results) },
      "batch identity create finished",
    );
    ctx.body = { identities: results };
  };
}

async function createEntry(
  run: BatchRun,
  patch: IdentityPatch,
  prepared: PreparedEntry,
): Promise<IdentityPatchResponse> {
  const patchId = patch.patch_id === undefined ? {} : { patch_id: patch.patch_id };
  try {
    if (run.fault !== undefined || prepared.kind === "skipped") throw entryNotAttempted();
    if (prepared.kind === "failed") throw prepared.error;

    const outcome = await run.registrar.identities.execute(prepared.command, run.context);
    if (!outcome.ok) throw commandFailureToError(outcome);
    run.lastPosition = laterPosition(run, outcome.position);
    return { action: "create", identity: prepared.command.identityId, ...patchId };
  } catch (thrown) {
    const error = thrown instanceof RegistrarError ? thrown : internalServerError(thrown);
    if (error.status >= 500) run.fault ??= error.cause ?? error;
    return { action: "error", ...patchId, error: renderErrorEnvelope(error, run.requestId).error };
  }
}

function entryNotAttempted(): RegistrarError {
  return new RegistrarError("internal_server_error", {
    message: "The identity was not created because an earlier entry failed with a server error.",
    reason: "Send this entry again in a new request.",
  });
}

function laterPosition(run: BatchRun, position: Position | undefined): Position | undefined {
  if (position === undefined) return run.lastPosition;
  if (run.lastPosition === undefined) return position;
  return run.registrar.store.comparePositions(position, run.lastPosition) > 0
    ? position
    : run.lastPosition;
}

/** Counts created entries and failed ones by error id, for the log. */
function countResults(results: readonly IdentityPatchResponse[]) {
  let created = 0;
  const failedById: Record<string, number> = {};
  for (const { error } of results) {
    if (error) failedById[error.id] = (failedById[error.id] ?? 0) + 1;
    else created += 1;
  }
  return { created, failed_by_id: failedById };
}
