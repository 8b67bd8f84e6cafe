import type { Context } from "koa";
import type { Registrar } from "../../../app/registrar.ts";
import type { FlowChallenge } from "../../../flows/codes-challenge.ts";
import { saveChallengeFlow } from "../../../flows/codes-store.ts";
import type { Flow } from "../../../flows/flow-store.ts";
import type { ActiveSession } from "../../../queries/identity-queries.ts";
import { internalServerError } from "../../errors.ts";
import {
  type ContinueWith,
  setOrySessionToken,
  showSettingsUi,
} from "../../kratos/continue-with.ts";
import { identityDisabled } from "../../kratos/flow-errors.ts";
import { accountRecovered } from "../../kratos/messages.ts";
import { requestIdOf } from "../../middleware/request-id.ts";
import { commandContext } from "../../request-context.ts";
import { respondWithFlow } from "./challenge-flow.ts";
import { challengeTexts, recoveredUi, withMessages } from "./challenge-ui.ts";
import { createSettingsFlow } from "./settings-flow.ts";

/**
 * Completes a recovery flow whose code or link was correct, as Kratos does for native flows.
 * The address counts as verified, and a fresh privileged session is issued (method
 * `code_recovery` or `link_recovery`, aal1). A settings flow opens for a new password, and the
 * response is the recovery flow with `show_settings_ui` and `set_ory_session_token` in its
 * `continue_with`. Other sessions of the identity stay active.
 */
export async function completeRecovery(
  ctx: Context,
  registrar: Registrar,
  flow: Flow,
  challenge: FlowChallenge,
): Promise<void> {
  const { identityId } = challenge;
  const identity = identityId ? await registrar.queries.findIdentity(identityId) : undefined;
  // A code sent to an address the identity no longer has, such as an email changed since, must
  // not recover the identity. Administrators' codes name no address and are not bound to one.
  const addressRemoved =
    identity !== undefined &&
    challenge.address !== null &&
    !identity.recoveryAddresses.some((address) => address.value === challenge.address);
  if (!identityId || !identity || addressRemoved) {
    registrar.logger.info(
      { request_id: requestIdOf(ctx), flow_id: flow.id, identity_id: identityId },
      "recovery code matched no identity",
    );
    const invalid = challengeTexts.recovery.invalidCode();
    respondWithFlow(ctx, { ...flow, ui: withMessages(flow.ui, [invalid]) });
    return;
  }
  if (identity.state !== "active") throw identityDisabled();

  if (challenge.address !== null) await markAddressVerified(ctx, registrar, flow, challenge);
  const { active, token } = await signIn(ctx, registrar, flow, challenge);

  const now = new Date();
  const privilegedUntil = new Date(
    active.session.authenticatedAt.getTime() + registrar.settings.privilegedSessionMaxAgeMs,
  );
  const settings = await createSettingsFlow(ctx, registrar, active, [
    accountRecovered(privilegedUntil, now),
  ]);
  const continueWith: ContinueWith[] = [
    showSettingsUi({ id: settings.id, url: settingsFlowUrl(registrar, settings.id) }),
  ];

  const passed: Flow = {
    ...flow,
    state: "passed_challenge",
    identityId,
    sessionId: active.session.id,
    ui: recoveredUi(registrar.settings.publicUrl, flow.id),
    internal: { ...flow.internal, challenge, continueWith, active: challenge.method },
  };
  await saveChallengeFlow(registrar.pool, passed);
  respondWithFlow(ctx, passed, 200, [setOrySessionToken(token)]);
}

/** Returns the URL that fetches a settings flow, which native clients load next. */
function settingsFlowUrl(registrar: Registrar, settingsFlowId: string): string {
  const url = new URL(`${registrar.settings.publicUrl}/self-service/settings/flows`);
  url.searchParams.set("id", settingsFlowId);
  return url.toString();
}

/**
 * Marks the recovery address verified where it is also a verifiable address, because
 * receiving the code proves control of it, as in Kratos. A recovery-only address is skipped.
 */
async function markAddressVerified(
  ctx: Context,
  registrar: Registrar,
  flow: Flow,
  challenge: FlowChallenge,
): Promise<void> {
  const outcome = await registrar.identities.execute(
    {
      type: "MarkAddressVerified",
      identityId: challenge.identityId!,
      via: "email",
      value: challenge.address!,
      now: new Date().toISOString(),
    },
    { ...commandContext(ctx, { type: "anonymous" }), causationId: flow.id },
  );
  if (outcome.ok && outcome.position) await registrar.sessions.waitForIdentities(outcome.position);
  if (!outcome.ok && outcome.error.code !== "address_not_found") {
    registrar.logger.warn(
      { request_id: requestIdOf(ctx), flow_id: flow.id, code: outcome.error.code },
      "recovery could not mark the address verified",
    );
  }
}

async function signIn(
  ctx: Context,
  registrar: Registrar,
  flow: Flow,
  challenge: FlowChallenge,
): Promise<{ active: ActiveSession; token: string }> {
  const identityId = challenge.identityId!;
  const method = challenge.method === "code" ? "code_recovery" : "link_recovery";
  const actor = { type: "identity" as const, id: identityId, authMethod: method };
  const issued = await registrar.sessions.issue(
    identityId,
    [{ method, aal: "aal1", completedAt: new Date().toISOString() }],
    { ...commandContext(ctx, actor), causationId: flow.id },
  );
  if (!issued.outcome.ok) {
    if (issued.outcome.error.code === "identity_inactive") throw identityDisabled();
    throw internalServerError(new Error(`recovery session rejected: ${issued.outcome.error.code}`));
  }

  const active = await registrar.sessions.resolve(issued.token);
  if (!active) {
    throw internalServerError(new Error("the recovery session is not visible to whoami yet"));
  }
  return { active, token: issued.token };
}
