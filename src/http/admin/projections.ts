import type Router from "@koa/router";
import type { Context } from "koa";
import type { Registrar } from "../../app/registrar.ts";
import { ReactorRebuildError } from "../../projections/generations.ts";
import type { ProjectionStatus } from "../../projections/status.ts";
import { conflict, notFound } from "../errors.ts";
import { requireScope } from "./api-key-auth.ts";

/** Registers projection status and rebuild. */
export function registerProjectionRoutes(router: Router, registrar: Registrar): void {
  router.get("/admin/projections", requireScope("projections:read"), listProjections(registrar));
  router.post(
    "/admin/projections/:name/rebuild",
    requireScope("projections:write"),
    rebuildProjection(registrar),
  );
}

/** `GET /admin/projections`: position, lag, state and dead letters of every projection. */
function listProjections(registrar: Registrar) {
  return async function listProjectionsRoute(ctx: Context) {
    const statuses = await registrar.projections.status();
    ctx.body = statuses.map(renderStatus);
  };
}

/**
 * `POST /admin/projections/{name}/rebuild`: starts filling a new generation from the first
 * event while the live one keeps serving; 202 with the new generation's number. Reactors are
 * never rebuilt, because replaying them would repeat their effects: 409.
 */
function rebuildProjection(registrar: Registrar) {
  return async function rebuildProjectionRoute(ctx: Context) {
    const name = String(ctx.params.name ?? "");
    const statuses = await registrar.projections.status();
    if (!statuses.some((status) => status.name === name)) {
      throw notFound({
        message: `The projection ${JSON.stringify(name.slice(0, 100))} does not exist.`,
        reason: `Use one of ${statuses.map((status) => status.name).join(", ")}.`,
      });
    }

    let generation: number;
    try {
      generation = await registrar.projections.rebuild(name);
    } catch (error) {
      if (error instanceof ReactorRebuildError) {
        throw conflict({
          message: `The projection ${name} is a reactor and cannot be rebuilt.`,
          reason: "Rebuilding a reactor would repeat its effects, such as sending mail again.",
          cause: error,
        });
      }
      throw error;
    }
    ctx.status = 202;
    ctx.body = { name, generation, state: "building" };
  };
}

function renderStatus(status: ProjectionStatus) {
  return {
    name: status.name,
    head: status.head,
    dead_letters: status.deadLetters,
    generations: status.generations.map((generation) => ({
      generation: generation.generation,
      code_version: generation.codeVersion,
      state: generation.state,
      position: generation.position,
      events_applied: generation.eventsApplied,
      lag_events: generation.lagEvents,
      lag_seconds: generation.lagSeconds,
      last_error: generation.lastError,
      updated_at: generation.updatedAt.toISOString(),
    })),
  };
}
