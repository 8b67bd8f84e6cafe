import type { Context } from "koa";
import type { Registrar } from "../../../app/registrar.ts";
import type { Flow } from "../../../flows/flow-store.ts";
import type { ContinueWith } from "../../kratos/continue-with.ts";
import { selfServiceFlowReturnToForbidden } from "../../kratos/flow-errors.ts";
import {
  type ChallengeFlowState,
  type RecoveryFlowJson,
  recoveryFlowToJson,
  type VerificationFlowJson,
  verificationFlowToJson,
} from "../../kratos/flows.ts";
import type { UiText } from "../../kratos/messages.ts";
import { requestUrlOf } from "../../request-context.ts";
import { type ChallengeFlowKind, challengeTexts, chooseMethodUi } from "./challenge-ui.ts";
import { loadFlow } from "./flow-helpers.ts";

export interface NewChallengeFlow {
  returnTo?: string | null;
  /** Lifespan of the flow; the configured flow lifespan when omitted. */
  lifespanMs?: number;
  messages?: UiText[];
}

/** Creates a native recovery or verification flow in state `choose_method`. */
export function createChallengeFlow(
  ctx: Context,
  registrar: Registrar,
  kind: ChallengeFlowKind,
  options: NewChallengeFlow = {},
): Promise<Flow> {
  const { publicUrl } = registrar.settings;
  return registrar.flows.create({
    kind,
    flowType: "api",
    state: "choose_method",
    requestUrl: requestUrlOf(ctx, publicUrl),
    returnTo: options.returnTo ?? null,
    identityId: null,
    sessionId: null,
    internal: {},
    lifespanMs: options.lifespanMs ?? registrar.settings.flowLifespanMs,
    ui: (id) => chooseMethodUi(publicUrl, kind, id, options.messages),
  });
}

/**
 * Loads a recovery or verification flow from the `flow` or `id` query parameter. An expired
 * flow is a 410 naming a new flow that carries the "flow expired" message and the old return_to.
 */
export function loadChallengeFlow(
  ctx: Context,
  registrar: Registrar,
  kind: ChallengeFlowKind,
): Promise<Flow> {
  return loadFlow(ctx, registrar, kind, async () => {
    const now = new Date();
    const expired = await registrar.flows.find(ctx.query.flow ?? ctx.query.id, kind);
    return createChallengeFlow(ctx, registrar, kind, {
      returnTo: expired?.returnTo ?? null,
      messages: [challengeTexts[kind].flowExpired(expired?.expiresAt ?? now, now)],
    });
  });
}

/**
 * Returns the `return_to` query parameter when it points at the public URL's origin, undefined
 * when it is absent, and raises `self_service_flow_return_to_forbidden` otherwise.
 * NOTE: Registrar has no allow-list of return URLs yet, so only its own origin is allowed.
 */
export function readReturnTo(ctx: Context, publicUrl: string): string | undefined {
  const value = ctx.query.return_to;
  if (value === undefined || value === "") return undefined;
  if (typeof value !== "string" || !URL.canParse(value)) {
    throw selfServiceFlowReturnToForbidden(String(value).slice(0, 200));
  }
  if (new URL(value).origin !== new URL(publicUrl).origin) {
    throw selfServiceFlowReturnToForbidden(value.slice(0, 200));
  }
  return value;
}

/** Renders a recovery or verification flow in Kratos's shape. */
export function renderChallengeFlow(
  flow: Flow,
  extraContinueWith: ContinueWith[] = [],
): RecoveryFlowJson | VerificationFlowJson {
  const active = typeof flow.internal.active === "string" ? flow.internal.active : undefined;
  const view = {
    id: flow.id,
    type: flow.flowType,
    expiresAt: flow.expiresAt,
    issuedAt: flow.issuedAt,
    requestUrl: flow.requestUrl,
    ...(flow.returnTo ? { returnTo: flow.returnTo } : {}),
    ...(active !== undefined ? { active } : {}),
    ui: flow.ui,
    state: flow.state as ChallengeFlowState,
  };
  if (flow.kind === "verification") return verificationFlowToJson(view);

  const stored = Array.isArray(flow.internal.continueWith)
    ? (flow.internal.continueWith as ContinueWith[])
    : [];
  return recoveryFlowToJson({ ...view, continueWith: [...stored, ...extraContinueWith] });
}

/** Writes a flow as the response body with `status`. */
export function respondWithFlow(
  ctx: Context,
  flow: Flow,
  status = 200,
  extraContinueWith: ContinueWith[] = [],
): void {
  ctx.status = status;
  ctx.set("Cache-Control", "private, no-store");
  ctx.body = renderChallengeFlow(flow, extraContinueWith);
}
