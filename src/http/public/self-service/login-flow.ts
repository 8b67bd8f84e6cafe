import type { Context } from "koa";
import type { Registrar } from "../../../app/registrar.ts";
import type { Flow } from "../../../flows/flow-store.ts";
import type { ActiveSession } from "../../../queries/identity-queries.ts";
import { flowActionUrl, type LoginFlowJson, loginFlowToJson } from "../../kratos/flows.ts";
import { confirmIdentity, traitLabel, type UiText } from "../../kratos/messages.ts";
import type { AuthenticatorAssuranceLevel } from "../../kratos/session-json.ts";
import {
  addContainerMessages,
  addNodeMessages,
  type UiContainer,
  uiContainer,
} from "../../kratos/ui.ts";
import { csrfTokenNode, passwordLoginNodes } from "../../kratos/ui-nodes.ts";
import { requestUrlOf, sessionTokenOf } from "../../request-context.ts";
import type { FormMessage } from "./form-fields.ts";

/** Login state kept in a flow's `internal`, next to the fields its JSON shows. */
export interface LoginFlowState {
  refresh: boolean;
  requestedAal: "aal1" | "aal2";
  /** The method of the last submission, Kratos's `active`. */
  active?: "password";
  /** For `refresh=true`: the identifier of the signed-in identity, fixed in a hidden field. */
  refreshIdentifier?: string;
}

export interface NewLoginFlow {
  refresh: boolean;
  requestedAal: "aal1" | "aal2";
  returnTo: string | null;
  /** The session being refreshed, for `refresh=true`. */
  session?: { identityId: string; sessionId: string; identifier?: string };
  /** Extra form messages, such as "the flow you used expired". */
  messages?: UiText[];
}

/** Creates a native login flow with the password method. */
export function createLoginFlow(
  ctx: Context,
  registrar: Registrar,
  input: NewLoginFlow,
): Promise<Flow> {
  const state: LoginFlowState = {
    refresh: input.refresh,
    requestedAal: input.requestedAal,
    ...(input.session?.identifier !== undefined && {
      refreshIdentifier: input.session.identifier,
    }),
  };
  const messages = [...(input.refresh ? [confirmIdentity()] : []), ...(input.messages ?? [])];
  return registrar.flows.create({
    kind: "login",
    flowType: "api",
    state: "choose_method",
    requestUrl: requestUrlOf(ctx, registrar.settings.publicUrl),
    returnTo: input.returnTo,
    identityId: input.session?.identityId ?? null,
    sessionId: input.session?.sessionId ?? null,
    internal: { ...state },
    lifespanMs: registrar.settings.flowLifespanMs,
    ui: (id) =>
      loginUi(registrar, flowActionUrl(registrar.settings.publicUrl, "login", id), state, {
        messages: messages.map((text) => ({ text })),
      }),
  });
}

/** Reads the login state of a stored flow. */
export function loginStateOf(flow: Flow): LoginFlowState {
  const internal = flow.internal;
  return {
    refresh: internal.refresh === true,
    requestedAal: internal.requestedAal === "aal2" ? "aal2" : "aal1",
    ...(internal.active === "password" && { active: "password" as const }),
    ...(typeof internal.refreshIdentifier === "string" && {
      refreshIdentifier: internal.refreshIdentifier,
    }),
  };
}

/**
 * Builds the login form: CSRF token, identifier, password and submit. `identifier` prefills the
 * identifier after a failed attempt; the password is never sent back.
 */
export function loginUi(
  registrar: Registrar,
  action: string,
  state: LoginFlowState,
  options: { identifier?: string; messages?: FormMessage[] } = {},
): UiContainer {
  const refresh = state.refreshIdentifier !== undefined;
  let ui = uiContainer({
    action,
    nodes: [
      csrfTokenNode("api", ""),
      ...passwordLoginNodes({
        identifier: refresh ? state.refreshIdentifier : options.identifier,
        refresh,
        identifierLabel: identifierLabel(registrar),
      }),
    ],
  });
  for (const message of options.messages ?? []) {
    ui = message.node
      ? addNodeMessages(ui, message.node, [message.text])
      : addContainerMessages(ui, [message.text]);
  }
  return ui;
}

/** Renders a login flow in Kratos's `loginFlow` shape. */
export function renderLoginFlow(flow: Flow): LoginFlowJson {
  const state = loginStateOf(flow);
  return loginFlowToJson({
    id: flow.id,
    type: flow.flowType,
    expiresAt: flow.expiresAt,
    issuedAt: flow.issuedAt,
    requestUrl: flow.requestUrl,
    ...(flow.returnTo ? { returnTo: flow.returnTo } : {}),
    ...(state.active ? { active: state.active } : {}),
    ui: flow.ui,
    state: flow.state as LoginFlowJson["state"],
    refresh: state.refresh,
    requestedAal: state.requestedAal as AuthenticatorAssuranceLevel,
    createdAt: flow.issuedAt,
    updatedAt: flow.issuedAt,
    organizationId: null,
  });
}

/** Resolves the session the request carries; an invalid token counts as none, as in Kratos. */
export async function activeSessionOf(
  ctx: Context,
  registrar: Registrar,
): Promise<ActiveSession | undefined> {
  const token = sessionTokenOf(ctx);
  return token ? registrar.sessions.resolve(token) : undefined;
}

const credentialMarks = [
  ["password", "identifier"],
  ["webauthn", "identifier"],
  ["totp", "account_name"],
  ["code", "identifier"],
] as const;

/**
 * Returns the identifier's label: the schema title of the identifier trait when exactly one
 * titled trait is a credential identifier, as Kratos does, or undefined for Kratos's "ID".
 * NOTE: traits reached only through `$ref` are not inspected, so they fall back to "ID".
 */
function identifierLabel(registrar: Registrar): UiText | undefined {
  const schema = registrar.schemas.getSchema(registrar.schemas.defaultSchemaId);
  const traits = asObject(asObject(schema?.properties)?.traits);
  const titles = identifierTitles(traits, 0);
  return titles.length === 1 ? traitLabel(titles[0]!, "identifier") : undefined;
}

function identifierTitles(schema: Record<string, unknown> | undefined, depth: number): string[] {
  const properties = asObject(schema?.properties);
  if (!properties || depth > 8) return [];

  const titles: string[] = [];
  for (const property of Object.values(properties)) {
    const child = asObject(property);
    const credentials = asObject(asObject(child?.["ory.sh/kratos"])?.credentials);
    const marked = credentialMarks.some(
      ([type, flag]) => asObject(credentials?.[type])?.[flag] === true,
    );
    if (marked && typeof child?.title === "string" && child.title !== "") titles.push(child.title);
    titles.push(...identifierTitles(child, depth + 1));
  }
  return titles;
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/**
 * Responds with 400 and the whole flow, the identifier prefilled and the messages on the form.
 * `active` marks the password method as the one last used, as Kratos does after a password
 * submission.
 */
export async function rejectLogin(
  ctx: Context,
  registrar: Registrar,
  flow: Flow,
  identifier: string | undefined,
  messages: FormMessage[],
  options: { active: boolean } = { active: true },
): Promise<void> {
  const state = loginStateOf(flow);
  const ui = loginUi(registrar, flow.ui.action, state, {
    ...(identifier !== undefined && { identifier }),
    messages,
  });
  const internal = options.active ? { ...flow.internal, active: "password" } : flow.internal;
  const updated: Flow = { ...flow, ui, internal };
  await registrar.flows.save(updated);
  ctx.status = 400;
  ctx.body = renderLoginFlow(updated);
}
