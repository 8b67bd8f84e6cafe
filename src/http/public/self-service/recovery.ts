import type Router from "@koa/router";
import type { Context } from "koa";
import type { Registrar } from "../../../app/registrar.ts";
import { createChallengeFlow, loadChallengeFlow, respondWithFlow } from "./challenge-flow.ts";
import { submitChallengeFlow } from "./challenge-submit.ts";
import { rejectBrowserRequest, requireFlowEnabled } from "./native-request.ts";
import { completeRecovery } from "./recovery-session.ts";

/**
 * Native recovery by code or link, following Kratos's `/self-service/recovery` API: create a
 * flow, submit `email` to receive a code or link, then submit the `code` or open the link
 * (`?flow=&token=`). Success signs the identity in and opens a settings flow.
 */
export function registerRecoveryRoutes(router: Router, registrar: Registrar): void {
  const enabled = requireFlowEnabled(registrar.config.RECOVERY_ENABLED, "recovery");

  router.get("/self-service/recovery/api", enabled, async (ctx) => {
    respondWithFlow(ctx, await createChallengeFlow(ctx, registrar, "recovery"));
  });

  router.get("/self-service/recovery/flows", enabled, async (ctx) => {
    respondWithFlow(ctx, await loadChallengeFlow(ctx, registrar, "recovery"));
  });

  const submit = async (ctx: Context) => {
    const flow = await loadChallengeFlow(ctx, registrar, "recovery");
    await submitChallengeFlow(ctx, registrar, flow, (passed, challenge) =>
      completeRecovery(ctx, registrar, passed, challenge),
    );
  };
  // The GET form is the link in the mail, which a browser opens. Only posts from browsers are
  // rejected, because a page on another site could otherwise request mail in a visitor's name.
  router.post("/self-service/recovery", enabled, async (ctx) => {
    rejectBrowserRequest(ctx);
    await submit(ctx);
  });
  router.get("/self-service/recovery", enabled, submit);
}
