import type Router from "@koa/router";
import type { Context } from "koa";
import type { Registrar } from "../../../app/registrar.ts";
import type { FlowChallenge } from "../../../flows/codes-challenge.ts";
import { saveChallengeFlow } from "../../../flows/codes-store.ts";
import type { Flow } from "../../../flows/flow-store.ts";
import { requestIdOf } from "../../middleware/request-id.ts";
import { commandContext } from "../../request-context.ts";
import {
  createChallengeFlow,
  loadChallengeFlow,
  readReturnTo,
  respondWithFlow,
} from "./challenge-flow.ts";
import { submitChallengeFlow } from "./challenge-submit.ts";
import { challengeTexts, verifiedUi, withMessages } from "./challenge-ui.ts";
import { rejectBrowserRequest, requireFlowEnabled } from "./native-request.ts";

/**
 * Native verification by code or link, following Kratos's `/self-service/verification` API:
 * create a flow, submit `email` to receive a code or link, then submit the `code` or open the
 * link (`?flow=&token=`) to verify the address.
 */
export function registerVerificationRoutes(router: Router, registrar: Registrar): void {
  const enabled = requireFlowEnabled(registrar.config.VERIFICATION_ENABLED, "verification");

  router.get("/self-service/verification/api", enabled, async (ctx) => {
    const returnTo = readReturnTo(ctx, registrar.settings.publicUrl);
    const flow = await createChallengeFlow(ctx, registrar, "verification", { returnTo });
    respondWithFlow(ctx, flow);
  });

  router.get("/self-service/verification/flows", enabled, async (ctx) => {
    respondWithFlow(ctx, await loadChallengeFlow(ctx, registrar, "verification"));
  });

  const submit = async (ctx: Context) => {
    const flow = await loadChallengeFlow(ctx, registrar, "verification");
    await submitChallengeFlow(ctx, registrar, flow, (passed, challenge) =>
      completeVerification(ctx, registrar, passed, challenge),
    );
  };
  // The GET form is the link in the mail, which a browser opens. Only posts from browsers are
  // rejected, because a page on another site could otherwise request mail in a visitor's name.
  router.post("/self-service/verification", enabled, async (ctx) => {
    rejectBrowserRequest(ctx);
    await submit(ctx);
  });
  router.get("/self-service/verification", enabled, submit);
}

/** Verifies the address the passed challenge was sent to and responds with the passed flow. */
async function completeVerification(
  ctx: Context,
  registrar: Registrar,
  flow: Flow,
  challenge: FlowChallenge,
): Promise<void> {
  const { identityId, address } = challenge;
  const outcome =
    identityId !== null && address !== null
      ? await registrar.identities.execute(
          {
            type: "MarkAddressVerified",
            identityId,
            via: "email",
            value: address,
            now: new Date().toISOString(),
          },
          { ...commandContext(ctx, { type: "anonymous" }), causationId: flow.id },
        )
      : undefined;
  if (!outcome?.ok) {
    // The address was removed or the identity erased after the code was sent.
    registrar.logger.info(
      { request_id: requestIdOf(ctx), flow_id: flow.id, identity_id: identityId },
      "verified code no longer matches an address",
    );
    const invalid = challengeTexts.verification.invalidCode();
    respondWithFlow(ctx, { ...flow, ui: withMessages(flow.ui, [invalid]) });
    return;
  }
  if (outcome.position) await registrar.sessions.waitForIdentities(outcome.position);

  const { publicUrl } = registrar.settings;
  const passed: Flow = {
    ...flow,
    state: "passed_challenge",
    identityId,
    ui: verifiedUi(publicUrl, flow.id, flow.returnTo ?? publicUrl),
    internal: { ...flow.internal, challenge, active: challenge.method },
  };
  await saveChallengeFlow(registrar.pool, passed);
  respondWithFlow(ctx, passed);
}
