import type Router from "@koa/router";
import type { Context } from "koa";
import type { Registrar } from "../../../app/registrar.ts";
import type { Flow } from "../../../flows/flow-store.ts";
import type { ActiveSession } from "../../../queries/identity-queries.ts";
import { FallbackLimiter } from "../../../security/login-throttle.ts";
import { settingsFlowExpired, type UiText } from "../../kratos/messages.ts";
import { requireSession } from "../session-auth.ts";
import { bodyObject, loadFlow } from "./flow-helpers.ts";
import { rejectBrowserRequest } from "./native-request.ts";
import {
  answerSettings,
  createSettingsFlow,
  renderSettingsFlow,
  requireOwnFlow,
  settingsUi,
} from "./settings-flow.ts";
import { submitPasswordSettings } from "./settings-password.ts";
import { submitProfileSettings } from "./settings-profile.ts";

// NOTE: Kratos's message 4010004 is not in the message catalogue yet, so it is built here.
const settingsStrategyNotFound: UiText = {
  id: 4010004,
  text: "Could not find a strategy to update your settings. Did you fill out the form correctly?",
  type: "error",
};

/**
 * Native settings with the profile and password methods, following Kratos's
 * `/self-service/settings` API. Every route needs the session of the flow's identity.
 */
export function registerSettingsRoutes(router: Router, registrar: Registrar): void {
  const identifierChanges = new FallbackLimiter({
    name: "identifier-changes",
    redis: registrar.redis,
    points: registrar.config.IDENTIFIER_CHANGES_PER_IDENTITY,
    windowSeconds: registrar.config.IDENTIFIER_CHANGE_WINDOW_SECONDS,
    logger: registrar.logger,
    timeoutMs: 500,
  });

  router.get("/self-service/settings/api", async (ctx) => {
    const active = await requireSession(ctx, registrar);
    const flow = await createSettingsFlow(ctx, registrar, active);
    ctx.body = renderSettingsFlow(registrar, flow, active.identity);
  });

  router.get("/self-service/settings/flows", async (ctx) => {
    const active = await requireSession(ctx, registrar);
    const flow = await loadOwnFlow(ctx, registrar, active);
    ctx.body = renderSettingsFlow(registrar, flow, await currentIdentity(registrar, active));
  });

  router.post("/self-service/settings", async (ctx) => {
    rejectBrowserRequest(ctx);
    const active = await requireSession(ctx, registrar);
    const flow = await loadOwnFlow(ctx, registrar, active);
    await submitSettings(ctx, registrar, flow, active, identifierChanges);
  });
}

/**
 * Loads a settings flow of the session's identity. The owner is checked before the expiry, so
 * another identity learns nothing about the flow and gets no replacement for it.
 */
async function loadOwnFlow(ctx: Context, registrar: Registrar, active: ActiveSession) {
  const flow = await loadFlow(ctx, registrar, "settings", (expired) => {
    requireOwnFlow(expired, active);
    return createSettingsFlow(ctx, registrar, active, [
      settingsFlowExpired(expired.expiresAt, new Date()),
    ]);
  });
  requireOwnFlow(flow, active);
  return flow;
}

async function submitSettings(
  ctx: Context,
  registrar: Registrar,
  flow: Flow,
  active: ActiveSession,
  identifierChanges: FallbackLimiter,
): Promise<void> {
  const body = bodyObject(ctx);
  switch (body.method) {
    case "password":
      return submitPasswordSettings(ctx, registrar, flow, active, body);
    case "profile":
      return submitProfileSettings(ctx, registrar, flow, active, body, identifierChanges);
    default: {
      const identity = await currentIdentity(registrar, active);
      await answerSettings(ctx, registrar, flow, {
        identity,
        ui: settingsUi(registrar, flow.ui.action, {
          identity,
          messages: [{ text: settingsStrategyNotFound }],
        }),
        state: "show_form",
      });
    }
  }
}

async function currentIdentity(registrar: Registrar, active: ActiveSession) {
  return (await registrar.queries.findIdentity(active.identity.id)) ?? active.identity;
}
