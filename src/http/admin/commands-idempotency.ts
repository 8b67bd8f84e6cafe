import { createHash } from "node:crypto";
import type { Context } from "koa";
import type { IdempotencyKeys } from "../../queries/idempotency-keys.ts";
import { badRequest, conflict, RegistrarError, renderErrorEnvelope } from "../errors.ts";
import { requestIdOf } from "../middleware/request-id.ts";
import { apiKeyOf } from "./api-key-auth.ts";

// Printable ASCII only, so keys compare byte for byte and never carry control characters.
const keyPattern = /^[\x20-\x7e]{1,200}$/;

/** A response to send: status and JSON body. */
export interface CommandResponse {
  status: number;
  body: unknown;
}

/**
 * Builds the error for a key reused with a different request: 422, as the IETF draft of the
 * Idempotency-Key header specifies.
 */
export function idempotencyKeyReused(): RegistrarError {
  return new RegistrarError("idempotency_key_reused");
}

/**
 * Runs `run` once per `Idempotency-Key` and API key. The first response, success or client
 * error, is stored, and a repeat of the same request gets it back without running again. A
 * server fault stores nothing, so the client can retry with the same key. A key whose first
 * request is still pending after 60 seconds counts as abandoned and runs again. Without the
 * header, `run` simply runs.
 */
export async function runIdempotently(
  ctx: Context,
  keys: IdempotencyKeys,
  /**
   * A keyed digest of the request, never a plain hash: bodies can contain passwords, and a
   * plain SHA-256 stored beside the key would let anyone with the database test guesses.
   */
  requestDigest: string,
  run: () => Promise<CommandResponse>,
): Promise<void> {
  const header = ctx.get("Idempotency-Key");
  if (header === "") return send(ctx, await run());
  if (!keyPattern.test(header)) {
    throw badRequest({
      message: "The Idempotency-Key header must be 1 to 200 printable ASCII characters.",
    });
  }

  // Scoped by API key, so one client can neither replay nor block another client's responses.
  const keyHash = sha256Hex(`${apiKeyOf(ctx).id}\0${header}`);
  const claim = await keys.claim(keyHash, requestDigest);
  if (claim.kind === "mismatch") throw idempotencyKeyReused();
  if (claim.kind === "in_progress") {
    throw conflict({
      message: "A request with this Idempotency-Key is still running.",
      reason: "Wait for the first request to finish, then resend to get its response.",
    });
  }
  if (claim.kind === "replay") {
    ctx.set("Idempotent-Replayed", "true");
    return send(ctx, { status: claim.status, body: claim.response });
  }

  let response: CommandResponse;
  try {
    response = await run();
  } catch (error) {
    if (error instanceof RegistrarError && error.status < 500) {
      await keys.complete(keyHash, error.status, renderErrorEnvelope(error, requestIdOf(ctx)));
    } else {
      await keys.release(keyHash);
    }
    throw error;
  }
  await keys.complete(keyHash, response.status, response.body);
  send(ctx, response);
}

function send(ctx: Context, response: CommandResponse): void {
  ctx.status = response.status;
  ctx.body = response.body;
}

function sha256Hex(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}
