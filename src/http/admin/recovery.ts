import type Router from "@koa/router";
import type { Context } from "koa";
import { z } from "zod";
import type { Registrar } from "../../app/registrar.ts";
import type { Identity } from "../../domain/identity/index.ts";
import type { ChallengeMethod } from "../../flows/codes.ts";
import { issueChallenge } from "../../flows/codes-challenge.ts";
import { saveChallengeFlow } from "../../flows/codes-store.ts";
import type { Flow } from "../../flows/flow-store.ts";
import { notFound } from "../errors.ts";
import { identityDisabled } from "../kratos/flow-errors.ts";
import { flowActionUrl } from "../kratos/flows.ts";
import { parseInput } from "../middleware/validation.ts";
import { createChallengeFlow } from "../public/self-service/challenge-flow.ts";
import { challengeLink } from "../public/self-service/challenge-send.ts";
import { sentUi, withMessages } from "../public/self-service/challenge-ui.ts";
import { requireFlowEnabled } from "../public/self-service/native-request.ts";
import { requireScope } from "./api-key-auth.ts";
import { parseExpiresIn } from "./recovery-expires-in.ts";

/**
 * Body of Kratos's `createRecoveryCodeForIdentity` and `createRecoveryLinkForIdentity`.
 * NOTE: `flow_type` is accepted, but the flow is always native, because Registrar has no
 * browser recovery flows yet.
 */
const recoveryForIdentitySchema = z.object({
  identity_id: z.uuid(),
  expires_in: z.string().optional(),
  flow_type: z.enum(["api", "browser"]).optional(),
});

/**
 * Registers `POST /admin/recovery/code` (201 `{recovery_link, recovery_code, expires_at}`) and
 * `POST /admin/recovery/link` (200 `{recovery_link, expires_at}`). Both create a recovery flow
 * for the identity without sending anything, so the administrator hands the code or link over.
 */
export function registerAdminRecoveryRoutes(router: Router, registrar: Registrar): void {
  const write = requireScope("recovery:write");
  const enabled = requireFlowEnabled(registrar.config.RECOVERY_ENABLED, "recovery");

  router.post("/admin/recovery/code", write, enabled, async (ctx) => {
    const { flow, secret, expiresAt } = await createAdminRecovery(ctx, registrar, "code");
    ctx.status = 201;
    ctx.body = {
      recovery_link: flowActionUrl(registrar.settings.publicUrl, "recovery", flow.id),
      recovery_code: secret,
      expires_at: expiresAt.toISOString(),
    };
  });

  router.post("/admin/recovery/link", write, enabled, async (ctx) => {
    const { flow, secret, expiresAt } = await createAdminRecovery(ctx, registrar, "link");
    ctx.body = {
      recovery_link: challengeLink(registrar.settings.publicUrl, "recovery", flow.id, secret),
      expires_at: expiresAt.toISOString(),
    };
  });
}

/**
 * Creates a recovery flow in state `sent_email` whose code or link signs the identity in. The
 * flow and the code expire together, after `expires_in` or the configured code lifespan.
 */
async function createAdminRecovery(
  ctx: Context,
  registrar: Registrar,
  method: ChallengeMethod,
): Promise<{ flow: Flow; secret: string; expiresAt: Date }> {
  const body = parseInput(recoveryForIdentitySchema, ctx.state.body ?? {});
  const lifespanMs =
    body.expires_in === undefined
      ? registrar.settings.codeLifespanMs
      : parseExpiresIn(body.expires_in);
  const identity = await findActiveIdentity(registrar, body.identity_id);

  const created = await createChallengeFlow(ctx, registrar, "recovery", { lifespanMs });
  const { challenge, secret } = issueChallenge(
    registrar.personalData.claims,
    created.id,
    { method, identityId: identity.id, address: null },
    created.expiresAt,
  );
  const { publicUrl } = registrar.settings;
  const flow: Flow = {
    ...created,
    state: "sent_email",
    ui: withMessages(sentUi(publicUrl, "recovery", created.id, method, ""), []),
    internal: { challenge, active: method },
  };
  await saveChallengeFlow(registrar.pool, flow);
  return { flow, secret, expiresAt: created.expiresAt };
}

async function findActiveIdentity(registrar: Registrar, identityId: string): Promise<Identity> {
  const identity = await registrar.queries.findIdentity(identityId);
  if (!identity) {
    throw notFound({
      message: "The identity could not be found.",
      reason: "Check the identity id. Erased and deleted identities are not found either.",
    });
  }
  if (identity.state !== "active") {
    throw identityDisabled({ message: "An inactive identity cannot be recovered." });
  }
  return identity;
}
