import type { ContinueWith } from "./continue-with.ts";
import type { CredentialType, IdentityJson } from "./identity-json.ts";
import type { AuthenticatorAssuranceLevel } from "./session-json.ts";
import type { UiContainer } from "./ui.ts";

export type FlowType = "api" | "browser";
export type FlowKind = "login" | "registration" | "settings" | "recovery" | "verification";
export type ChallengeFlowState = "choose_method" | "sent_email" | "passed_challenge";
export type SettingsFlowState = "show_form" | "success";

/** Returns the absolute URL a flow's form posts to: `<public>/self-service/<kind>?flow=<id>`. */
export function flowActionUrl(publicBaseUrl: string, kind: FlowKind, flowId: string): string {
  const url = new URL(`self-service/${kind}`, `${publicBaseUrl.replace(/\/+$/, "")}/`);
  url.searchParams.set("flow", flowId);
  return url.toString();
}

/**
 * Fields every flow has, as the flow store keeps them. Login and registration flows narrow
 * `active` to a credential type, as the OpenAPI document does.
 */
interface FlowViewBase<Active extends string = string> {
  id: string;
  type: FlowType;
  expiresAt: Date;
  issuedAt: Date;
  /** The URL that initialised the flow, query included. */
  requestUrl: string;
  returnTo?: string;
  /** The method used last, such as `password`. */
  active?: Active;
  ui: UiContainer;
  transientPayload?: Record<string, unknown>;
}

interface FlowJsonBase<Active extends string = string> {
  id: string;
  type: FlowType;
  expires_at: string;
  issued_at: string;
  request_url: string;
  return_to?: string;
  active?: Active;
  ui: UiContainer;
  transient_payload?: Record<string, unknown>;
}

function flowBaseToJson<Active extends string>(flow: FlowViewBase<Active>): FlowJsonBase<Active> {
  const json: FlowJsonBase<Active> = {
    id: flow.id,
    type: flow.type,
    expires_at: flow.expiresAt.toISOString(),
    issued_at: flow.issuedAt.toISOString(),
    request_url: flow.requestUrl,
    ui: flow.ui,
  };
  if (flow.returnTo !== undefined) json.return_to = flow.returnTo;
  if (flow.active !== undefined) json.active = flow.active;
  if (flow.transientPayload !== undefined) json.transient_payload = flow.transientPayload;
  return json;
}

/** Optional login and registration fields that Kratos leaves out while empty. */
interface EntryFlowExtras {
  oauth2LoginChallenge?: string;
  sessionTokenExchangeCode?: string;
  identitySchema?: string;
}

function entryExtrasToJson(flow: EntryFlowExtras) {
  return {
    ...(flow.oauth2LoginChallenge !== undefined && {
      oauth2_login_challenge: flow.oauth2LoginChallenge,
    }),
    ...(flow.sessionTokenExchangeCode !== undefined && {
      session_token_exchange_code: flow.sessionTokenExchangeCode,
    }),
    ...(flow.identitySchema !== undefined && { identity_schema: flow.identitySchema }),
  };
}

export interface LoginFlowView extends FlowViewBase<CredentialType>, EntryFlowExtras {
  state: ChallengeFlowState;
  refresh: boolean;
  requestedAal: AuthenticatorAssuranceLevel;
  createdAt: Date;
  updatedAt: Date;
  organizationId: string | null;
}

export interface LoginFlowJson extends FlowJsonBase<CredentialType> {
  state: ChallengeFlowState;
  refresh: boolean;
  requested_aal: AuthenticatorAssuranceLevel;
  created_at: string;
  updated_at: string;
  organization_id: string | null;
  oauth2_login_challenge?: string;
  session_token_exchange_code?: string;
  identity_schema?: string;
}

/** Renders a login flow in Kratos's `loginFlow` shape. */
export function loginFlowToJson(flow: LoginFlowView): LoginFlowJson {
  return {
    ...flowBaseToJson(flow),
    state: flow.state,
    refresh: flow.refresh,
    requested_aal: flow.requestedAal,
    created_at: flow.createdAt.toISOString(),
    updated_at: flow.updatedAt.toISOString(),
    organization_id: flow.organizationId,
    ...entryExtrasToJson(flow),
  };
}

export interface RegistrationFlowView extends FlowViewBase<CredentialType>, EntryFlowExtras {
  state: ChallengeFlowState;
  organizationId: string | null;
}

export interface RegistrationFlowJson extends FlowJsonBase<CredentialType> {
  state: ChallengeFlowState;
  organization_id: string | null;
  oauth2_login_challenge?: string;
  session_token_exchange_code?: string;
  identity_schema?: string;
}

/** Renders a registration flow in Kratos's `registrationFlow` shape. */
export function registrationFlowToJson(flow: RegistrationFlowView): RegistrationFlowJson {
  return {
    ...flowBaseToJson(flow),
    state: flow.state,
    organization_id: flow.organizationId,
    ...entryExtrasToJson(flow),
  };
}

export interface SettingsFlowView extends FlowViewBase {
  state: SettingsFlowState;
  /** The identity the flow changes, already rendered for the public audience. */
  identity: IdentityJson;
  continueWith: ContinueWith[];
  organizationId: string | null;
}

export interface SettingsFlowJson extends FlowJsonBase {
  state: SettingsFlowState;
  identity: IdentityJson;
  continue_with: ContinueWith[];
  organization_id: string | null;
}

/** Renders a settings flow in Kratos's `settingsFlow` shape. */
export function settingsFlowToJson(flow: SettingsFlowView): SettingsFlowJson {
  return {
    ...flowBaseToJson(flow),
    state: flow.state,
    identity: flow.identity,
    continue_with: flow.continueWith,
    organization_id: flow.organizationId,
  };
}

export interface RecoveryFlowView extends FlowViewBase {
  state: ChallengeFlowState;
  continueWith: ContinueWith[];
}

export interface RecoveryFlowJson extends FlowJsonBase {
  state: ChallengeFlowState;
  continue_with: ContinueWith[];
}

/** Renders a recovery flow in Kratos's `recoveryFlow` shape. */
export function recoveryFlowToJson(flow: RecoveryFlowView): RecoveryFlowJson {
  return { ...flowBaseToJson(flow), state: flow.state, continue_with: flow.continueWith };
}

export interface VerificationFlowView extends FlowViewBase {
  state: ChallengeFlowState;
}

export interface VerificationFlowJson extends FlowJsonBase {
  state: ChallengeFlowState;
}

/** Renders a verification flow in Kratos's `verificationFlow` shape, which has no continue_with. */
export function verificationFlowToJson(flow: VerificationFlowView): VerificationFlowJson {
  return { ...flowBaseToJson(flow), state: flow.state };
}
