import type { Context } from "koa";
import type { Registrar } from "../../../app/registrar.ts";
import type { EventActor } from "../../../eventstore/envelope.ts";
import { saveChallengeFlow } from "../../../flows/codes-store.ts";
import { type ContinueWith, showVerificationUi } from "../../kratos/continue-with.ts";
import { requestIdOf } from "../../middleware/request-id.ts";
import { createChallengeFlow } from "./challenge-flow.ts";
import { requestChallengeMessage } from "./challenge-send.ts";
import { sentUi } from "./challenge-ui.ts";

/**
 * Sends a verification code to each new email address of an identity, each in its own
 * verification flow, as Kratos's verifier hook does after registration and after a settings
 * profile change. Returns one `show_verification_ui` item per address for the flow's
 * `continue_with`. An address over its send limit gets its flow but no message, and the flow
 * that added the address succeeds all the same. Without an `actor`, the requests are anonymous.
 * With verification disabled, nothing is sent and the list is empty.
 */
export async function sendVerificationToNewAddresses(
  ctx: Context,
  registrar: Registrar,
  identityId: string,
  addresses: readonly { value: string; via: string }[],
  actor?: EventActor,
): Promise<ContinueWith[]> {
  if (!registrar.config.VERIFICATION_ENABLED) return [];

  const continueWith: ContinueWith[] = [];
  for (const address of addresses) {
    if (address.via !== "email") continue;

    const flowId = await sendVerificationCode(ctx, registrar, identityId, address.value, actor);
    const url = new URL(`${registrar.settings.publicUrl}/self-service/verification/flows`);
    url.searchParams.set("id", flowId);
    continueWith.push(
      showVerificationUi({ id: flowId, url: url.toString(), verifiableAddress: address.value }),
    );
  }
  return continueWith;
}

async function sendVerificationCode(
  ctx: Context,
  registrar: Registrar,
  identityId: string,
  address: string,
  actor: EventActor | undefined,
): Promise<string> {
  const flow = await createChallengeFlow(ctx, registrar, "verification");
  const decision = await registrar.courier.sendLimiter({ address, ip: ctx.ip || undefined });
  const challenge = decision.allowed
    ? await requestChallengeMessage(ctx, registrar, {
        flow,
        kind: "verification",
        method: "code",
        address,
        identityId,
        ...(actor && { actor }),
      })
    : undefined;
  if (!decision.allowed) {
    registrar.logger.info(
      { request_id: requestIdOf(ctx), flow_id: flow.id, limit: decision.limit },
      "send limit reached; no verification code sent to new address",
    );
  }

  await saveChallengeFlow(registrar.pool, {
    ...flow,
    state: "sent_email",
    ui: sentUi(registrar.settings.publicUrl, "verification", flow.id, "code", address),
    internal: { ...(challenge ? { challenge } : {}), active: "code" },
  });
  return flow.id;
}
