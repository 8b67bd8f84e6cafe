import type { Context } from "koa";
import type { Registrar } from "../../../app/registrar.ts";
import type { Identity } from "../../../domain/identity/index.ts";
import type { Flow } from "../../../flows/flow-store.ts";
import { type ActiveSession, toIdentityView } from "../../../queries/identity-queries.ts";
import type { RegistrarError } from "../../errors.ts";
import type { ContinueWith } from "../../kratos/continue-with.ts";
import {
  securityIdentityMismatch,
  sessionInactive,
  sessionRefreshRequired,
} from "../../kratos/flow-errors.ts";
import { flowActionUrl, type SettingsFlowJson, settingsFlowToJson } from "../../kratos/flows.ts";
import { identityToJson } from "../../kratos/identity-json.ts";
import type { UiText } from "../../kratos/messages.ts";
import {
  addContainerMessages,
  addNodeMessages,
  type UiContainer,
  uiContainer,
} from "../../kratos/ui.ts";
import {
  csrfTokenNode,
  passwordSettingsNodes,
  profileSettingsNodes,
} from "../../kratos/ui-nodes.ts";
import { requestUrlOf } from "../../request-context.ts";
import { uiTraitFields } from "./flow-helpers.ts";
import type { FormMessage } from "./form-fields.ts";

/** Creates a native settings flow for the identity of `active`. */
export function createSettingsFlow(
  ctx: Context,
  registrar: Registrar,
  active: ActiveSession,
  messages: UiText[] = [],
): Promise<Flow> {
  return registrar.flows.create({
    kind: "settings",
    flowType: "api",
    state: "show_form",
    requestUrl: requestUrlOf(ctx, registrar.settings.publicUrl),
    returnTo: null,
    identityId: active.identity.id,
    sessionId: active.session.id,
    internal: {},
    lifespanMs: registrar.settings.flowLifespanMs,
    ui: (id) =>
      settingsUi(registrar, flowActionUrl(registrar.settings.publicUrl, "settings", id), {
        identity: active.identity,
        messages: messages.map((text) => ({ text })),
      }),
  });
}

/**
 * Builds the settings form: CSRF token, the profile's traits with a save button, and a new
 * password with a save button. `traits` prefills the profile, the identity's own by default.
 */
export function settingsUi(
  registrar: Registrar,
  action: string,
  options: { identity: Identity; traits?: Record<string, unknown>; messages?: FormMessage[] },
): UiContainer {
  const fields = uiTraitFields(
    registrar.schemas.describeTraitFields(options.identity.schemaId) ?? [],
  );
  const traits = options.traits ?? (options.identity.traits as Record<string, unknown>);
  let ui = uiContainer({
    action,
    nodes: [
      csrfTokenNode("api", ""),
      ...profileSettingsNodes(fields, traits),
      ...passwordSettingsNodes(),
    ],
  });
  for (const message of options.messages ?? []) {
    ui = message.node
      ? addNodeMessages(ui, message.node, [message.text])
      : addContainerMessages(ui, [message.text]);
  }
  return ui;
}

/**
 * Renders a settings flow in Kratos's `settingsFlow` shape, with the identity as it is now.
 * `continueWith` is not stored with the flow, so only the response to the submit that
 * produced it carries it. Kratos's settings flow keeps `continue_with` out of its table too.
 */
export function renderSettingsFlow(
  registrar: Registrar,
  flow: Flow,
  identity: Identity,
  continueWith: ContinueWith[] = [],
): SettingsFlowJson {
  const active = flow.internal.active;
  return settingsFlowToJson({
    id: flow.id,
    type: flow.flowType,
    expiresAt: flow.expiresAt,
    issuedAt: flow.issuedAt,
    requestUrl: flow.requestUrl,
    ...(flow.returnTo ? { returnTo: flow.returnTo } : {}),
    ...(typeof active === "string" && { active }),
    ui: flow.ui,
    state: flow.state === "success" ? "success" : "show_form",
    identity: identityToJson(toIdentityView(identity), {
      publicBaseUrl: registrar.settings.publicUrl,
      audience: "public",
    }),
    continueWith,
    organizationId: null,
  });
}

/**
 * Stores the flow with a new form and state and responds with it: 200 for `success`, 400 for a
 * form with errors. `method` becomes the flow's `active` method, and `continueWith` goes into
 * the response only.
 */
export async function answerSettings(
  ctx: Context,
  registrar: Registrar,
  flow: Flow,
  update: {
    identity: Identity;
    ui: UiContainer;
    state: "show_form" | "success";
    method?: string;
    continueWith?: ContinueWith[];
  },
): Promise<void> {
  const internal = update.method ? { ...flow.internal, active: update.method } : flow.internal;
  const updated: Flow = { ...flow, ui: update.ui, state: update.state, internal };
  await registrar.flows.save(updated);
  ctx.status = update.state === "success" ? 200 : 400;
  ctx.body = renderSettingsFlow(registrar, updated, update.identity, update.continueWith);
}

/** Raises 403 `security_identity_mismatch` when the flow belongs to another identity. */
export function requireOwnFlow(flow: Flow, active: ActiveSession): void {
  if (flow.identityId !== active.identity.id) throw securityIdentityMismatch();
}

/**
 * Reports whether the session authenticated recently enough for changes to credentials and
 * addresses (Kratos's privileged session).
 */
export function isPrivileged(registrar: Registrar, active: ActiveSession): boolean {
  const age = Date.now() - active.session.authenticatedAt.getTime();
  return age < registrar.settings.privilegedSessionMaxAgeMs;
}

/**
 * Builds the 403 `session_refresh_required` error, whose `redirect_browser_to` opens a refresh
 * login that returns to this settings request, as Kratos builds it.
 */
export function refreshRequired(ctx: Context, registrar: Registrar): RegistrarError {
  const { publicUrl } = registrar.settings;
  const query = new URLSearchParams({
    refresh: "true",
    return_to: `${publicUrl}${ctx.path}${ctx.search}`,
  });
  return sessionRefreshRequired(`${publicUrl}/self-service/login/browser?${query}`);
}

/**
 * Raises `session_inactive` when a settings command failed because the identity was deleted,
 * erased or deactivated during the request, which ended its sessions.
 */
export function rejectEndedIdentity(error: { code: string }): void {
  if (error.code === "identity_not_found" || error.code === "identity_inactive") {
    throw sessionInactive();
  }
}
