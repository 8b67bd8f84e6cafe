import type { Context } from "koa";
import { z } from "zod";
import type { Registrar } from "../../app/registrar.ts";
import { parseInput } from "../middleware/validation.ts";
import { executeAdminCommand, identityIdParam } from "./identities-shared.ts";

/** Legal grounds for erasure, as the `IdentityErased` event records them. */
export const erasureReasons = [
  "data_subject_request",
  "retention_period_expired",
  "legal_obligation",
  "other",
] as const;

const eraseBodySchema = z.strictObject({ reason: z.enum(erasureReasons) });

/** `DELETE /admin/identities/{id}`: deletes the identity and ends its sessions; 204 or 404. */
export function deleteIdentity(registrar: Registrar) {
  return async function deleteIdentityRoute(ctx: Context) {
    const identityId = identityIdParam(ctx);
    await executeAdminCommand(ctx, registrar, {
      type: "DeleteIdentity",
      identityId,
      now: new Date().toISOString(),
    });
    ctx.status = 204;
  };
}

/**
 * `POST /admin/identities/{id}/erase`: erases the identity's personal data by destroying its
 * data key (crypto-shredding), releases its identifiers and addresses, and ends its sessions.
 * Responds 204. The identity is then not found, and its history shows personal fields erased.
 */
export function eraseIdentity(registrar: Registrar) {
  return async function eraseIdentityRoute(ctx: Context) {
    const identityId = identityIdParam(ctx);
    const { reason } = parseInput(eraseBodySchema, ctx.state.body ?? {});
    await executeAdminCommand(ctx, registrar, {
      type: "EraseIdentity",
      identityId,
      reason,
      now: new Date().toISOString(),
    });
    ctx.status = 204;
  };
}
