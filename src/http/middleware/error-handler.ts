import type { Context, Middleware } from "koa";
import type { Logger } from "pino";
import { WrongExpectedVersionError } from "../../eventstore/errors.ts";
import {
  type ErrorId,
  internalServerError,
  methodNotAllowed,
  RegistrarError,
  renderErrorEnvelope,
} from "../errors.ts";
import { requestIdOf } from "./request-id.ts";

export interface ErrorHandlerOptions {
  logger: Logger;
}

// Expected client failures that still deserve attention, because they can mean an attack.
const WARN_IDS: ReadonlySet<ErrorId> = new Set([
  "security_csrf_violation",
  "security_identity_mismatch",
  "rate_limited",
]);

// Errors thrown with a status by Koa itself (`ctx.throw`) or by libraries such as @koa/router.
const ID_BY_STATUS: Readonly<Record<number, ErrorId>> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  413: "request_body_too_large",
  415: "unsupported_media_type",
  429: "rate_limited",
  503: "service_unavailable",
};

/**
 * Renders every error in Kratos's `{"error": {...}}` envelope. A `RegistrarError` keeps its id,
 * status and safe message. An error with a 4xx or 503 `status`, such as one from `ctx.throw`,
 * gets the generic id of that status and the catalogue's message, never its own. Anything else
 * becomes a 500 whose body contains nothing internal. Client failures log at info, or at warn
 * for the ids in WARN_IDS, and server failures log at error with the cause. A request that no
 * route handled becomes a `not_found` error.
 */
export function errorHandler(options: ErrorHandlerOptions): Middleware {
  const { logger } = options;

  return async function handleErrors(ctx, next) {
    try {
      await next();
      if (ctx.status === 404 && ctx.body == null) {
        throw new RegistrarError("not_found");
      }
      // The router responds to a known path with an unknown method by a bare 405, or 501 for a
      // method no route uses. Give it the envelope like every other error.
      if ((ctx.status === 405 || ctx.status === 501) && ctx.body == null) {
        const allow = ctx.response.get("Allow");
        throw allow
          ? methodNotAllowed(allow.split(/\s*,\s*/))
          : new RegistrarError("method_not_allowed");
      }
    } catch (thrown) {
      const error = toRegistrarError(thrown);
      logFailure(logger, ctx, error);
      if (ctx.headerSent || !ctx.writable) return;

      renderError(ctx, error);
    }
  };
}

function toRegistrarError(thrown: unknown): RegistrarError {
  if (thrown instanceof RegistrarError) return thrown;
  // Writers in other processes kept changing the same identity through every retry.
  if (thrown instanceof WrongExpectedVersionError) {
    return new RegistrarError("conflict", { cause: thrown });
  }

  const status = statusOf(thrown);
  if (status !== undefined && status >= 400 && status < 500) {
    return new RegistrarError(ID_BY_STATUS[status] ?? "bad_request", { cause: thrown });
  }
  if (status === 503) return new RegistrarError("service_unavailable", { cause: thrown });
  return internalServerError(thrown);
}

function statusOf(thrown: unknown): number | undefined {
  if (typeof thrown !== "object" || thrown === null) return undefined;
  const { status, statusCode } = thrown as { status?: unknown; statusCode?: unknown };
  if (typeof status === "number") return status;
  if (typeof statusCode === "number") return statusCode;
  return undefined;
}

function logFailure(logger: Logger, ctx: Context, error: RegistrarError): void {
  const fields = {
    request_id: requestIdOf(ctx),
    error_id: error.id,
    status: error.status,
    method: ctx.method,
    // The path without the query, because query strings can carry recovery and verification tokens.
    path: ctx.path,
  };
  if (error.status >= 500) {
    logger.error({ ...fields, err: error.cause ?? error }, "request failed");
  } else if (error.cause instanceof WrongExpectedVersionError) {
    // Conflicts that outlast the retries mean heavy contention on one stream.
    const { streamId, expectedVersion, actualVersion } = error.cause;
    logger.warn(
      {
        ...fields,
        stream_id: streamId,
        expected_version: expectedVersion,
        actual_version: actualVersion,
      },
      "request rejected after version conflicts",
    );
  } else if (WARN_IDS.has(error.id)) {
    logger.warn(fields, "request rejected");
  } else {
    logger.info(fields, "request rejected");
  }
}

function renderError(ctx: Context, error: RegistrarError): void {
  // A fault can strike after a handler set cookies or caching headers meant for a success.
  if (error.status >= 500) {
    for (const name of Object.keys(ctx.response.headers)) {
      if (name.toLowerCase() !== "x-request-id") ctx.remove(name);
    }
  }
  for (const [name, value] of Object.entries(error.headers)) ctx.set(name, value);

  ctx.status = error.status;
  ctx.body = renderErrorEnvelope(error, requestIdOf(ctx));
}
