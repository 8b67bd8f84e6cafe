import type Router from "@koa/router";
import type { Context } from "koa";
import type { Registrar } from "../../../app/registrar.ts";
import type { Flow } from "../../../flows/flow-store.ts";
import type { ActiveSession } from "../../../queries/identity-queries.ts";
import { LoginThrottle } from "../../../security/login-throttle.ts";
import { badRequest } from "../../errors.ts";
import { sessionAal1Required, sessionAlreadyAvailable } from "../../kratos/flow-errors.ts";
import { loginFlowExpired } from "../../kratos/messages.ts";
import { loadFlow } from "./flow-helpers.ts";
import { activeSessionOf, createLoginFlow, loginStateOf, renderLoginFlow } from "./login-flow.ts";
import { submitLogin } from "./login-password.ts";
import {
  booleanQueryParam,
  checkReturnTo,
  rejectBrowserRequest,
  singleQueryParam,
} from "./native-request.ts";

/**
 * Native login with a password, following Kratos's `/self-service/login` API, with failed
 * attempts throttled per identifier and per client IP.
 */
export function registerLoginRoutes(router: Router, registrar: Registrar): void {
  const { config } = registrar;
  const throttle = new LoginThrottle({
    redis: registrar.redis,
    attemptsPerIdentifier: config.LOGIN_ATTEMPTS_PER_IDENTIFIER,
    attemptsPerIp: config.LOGIN_ATTEMPTS_PER_IP,
    windowSeconds: config.LOGIN_THROTTLE_WINDOW_SECONDS,
    logger: registrar.logger.child({ component: "login-throttle" }),
  });

  router.get("/self-service/login/api", async (ctx) => {
    const flow = await initLoginFlow(ctx, registrar);
    ctx.body = renderLoginFlow(flow);
  });

  router.get("/self-service/login/flows", async (ctx) => {
    const flow = await loadFlow(ctx, registrar, "login", (expired) =>
      replaceExpiredFlow(ctx, registrar, expired),
    );
    ctx.body = renderLoginFlow(flow);
  });

  router.post("/self-service/login", async (ctx) => {
    rejectBrowserRequest(ctx);
    const flow = await loadFlow(ctx, registrar, "login", (expired) =>
      replaceExpiredFlow(ctx, registrar, expired),
    );
    await submitLogin(ctx, { registrar, throttle }, flow);
  });
}

/** Creates a flow for `GET /self-service/login/api` from its query parameters. */
async function initLoginFlow(ctx: Context, registrar: Registrar): Promise<Flow> {
  const refresh = booleanQueryParam(ctx, "refresh");
  const requestedAal = parseAal(singleQueryParam(ctx, "aal"));
  const returnTo = checkReturnTo(registrar.settings.publicUrl, singleQueryParam(ctx, "return_to"));
  const active = await activeSessionOf(ctx, registrar);

  if (requestedAal === "aal2") {
    if (!active) throw sessionAal1Required();
    // TODO: no second factor can sign in yet, so a session can never be stepped up to aal2.
    throw badRequest({
      message: "This identity has no second factor to sign in with.",
      reason: "Request aal1, or set up a second factor first.",
    });
  }
  if (active && !refresh) throw sessionAlreadyAvailable();

  return createLoginFlow(ctx, registrar, {
    refresh,
    requestedAal,
    returnTo,
    ...(active && refresh && { session: refreshedSession(active) }),
  });
}

/** Builds the replacement of an expired flow: same settings, plus message 4010001. */
function replaceExpiredFlow(ctx: Context, registrar: Registrar, expired: Flow): Promise<Flow> {
  const state = loginStateOf(expired);
  const session =
    expired.identityId && expired.sessionId
      ? {
          identityId: expired.identityId,
          sessionId: expired.sessionId,
          ...(state.refreshIdentifier !== undefined && { identifier: state.refreshIdentifier }),
        }
      : undefined;
  return createLoginFlow(ctx, registrar, {
    refresh: state.refresh,
    requestedAal: state.requestedAal,
    returnTo: expired.returnTo,
    ...(session && { session }),
    messages: [loginFlowExpired(expired.expiresAt, new Date())],
  });
}

function refreshedSession(active: ActiveSession) {
  const identifier = active.identity.credentials.password?.identifiers[0];
  return {
    identityId: active.identity.id,
    sessionId: active.session.id,
    ...(identifier !== undefined && { identifier }),
  };
}

function parseAal(value: string | undefined): "aal1" | "aal2" {
  if (value === undefined || value === "" || value === "aal1") return "aal1";
  if (value === "aal2") return "aal2";
  throw badRequest({ message: "The query parameter aal must be aal1 or aal2." });
}
