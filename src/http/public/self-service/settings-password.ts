import type { Context } from "koa";
import type { Registrar } from "../../../app/registrar.ts";
import {
  checkPasswordPolicy,
  type DomainError,
  type Identity,
} from "../../../domain/identity/index.ts";
import type { Flow } from "../../../flows/flow-store.ts";
import type { ActiveSession } from "../../../queries/identity-queries.ts";
import { internalServerError } from "../../errors.ts";
import { passwordSameAsOld, settingsSaved, type UiText } from "../../kratos/messages.ts";
import { commandContext } from "../../request-context.ts";
import { identityActor } from "../sessions.ts";
import { passwordPolicyMessage } from "./flow-helpers.ts";
import { requiredString } from "./form-fields.ts";
import {
  answerSettings,
  isPrivileged,
  refreshRequired,
  rejectEndedIdentity,
  settingsUi,
} from "./settings-flow.ts";

/**
 * Changes the password from a settings flow (`method: "password"`). It needs a privileged
 * session, checks the password policy and the breach list, and rejects the current password
 * with 4000039. Every other session of the identity is revoked and the current one stays.
 */
export async function submitPasswordSettings(
  ctx: Context,
  registrar: Registrar,
  flow: Flow,
  active: ActiveSession,
  body: Record<string, unknown>,
): Promise<void> {
  if (!isPrivileged(registrar, active)) throw refreshRequired(ctx, registrar);

  const identity = (await registrar.queries.findIdentity(active.identity.id)) ?? active.identity;
  const reject = (text: UiText) =>
    answerSettings(ctx, registrar, flow, {
      identity,
      ui: settingsUi(registrar, flow.ui.action, {
        identity,
        messages: [{ node: "password", text }],
      }),
      state: "show_form",
      method: "password",
    });

  const field = requiredString(body, "password");
  if (!field.ok) return reject(field.message);

  const password = field.value;
  const problem = await checkNewPassword(registrar, identity, password);
  if (problem) return reject(problem);

  // NOTE: an identity without password identifiers gets a password it cannot sign in with,
  // because ChangePassword does not derive identifiers from the traits.
  const outcome = await registrar.identities.execute(
    {
      type: "ChangePassword",
      identityId: identity.id,
      hashedPassword: await registrar.hasher.hash(password),
      revokeOtherSessions: { exceptSessionId: active.session.id },
      now: new Date().toISOString(),
    },
    { ...commandContext(ctx, identityActor(active)), causationId: flow.id },
  );
  if (!outcome.ok) {
    rejectEndedIdentity(outcome.error);
    throw internalServerError(new Error(`password change rejected: ${outcome.error.code}`));
  }
  if (outcome.position) {
    await registrar.sessions.waitForIdentities(outcome.position);
    await registrar.sessions.waitForSessions(outcome.position);
  }
  registrar.sessions.forgetAll();

  const changed = (await registrar.queries.findIdentity(identity.id)) ?? identity;
  await answerSettings(ctx, registrar, flow, {
    identity: changed,
    ui: settingsUi(registrar, flow.ui.action, {
      identity: changed,
      messages: [{ text: settingsSaved() }],
    }),
    state: "success",
    method: "password",
  });
}

/**
 * Returns the message that rejects a new password, in Kratos's order: policy (length,
 * similarity to an identifier, common passwords), breach list, then equality with the current
 * password. Returns undefined when the password may be used.
 */
async function checkNewPassword(
  registrar: Registrar,
  identity: Identity,
  password: string,
): Promise<UiText | undefined> {
  const identifiers = identity.credentials.password?.identifiers ?? [];
  const violation: DomainError | null = checkPasswordPolicy(password, identifiers);
  if (violation) return passwordPolicyMessage(violation);

  const breach = await registrar.breachedPasswords.check(password);
  if (breach.breached) {
    return passwordPolicyMessage({ code: "password_breached", breaches: breach.count });
  }
  if (!breach.breached && breach.failure) {
    registrar.logger.warn({ failure: breach.failure }, "breached-password check failed open");
  }

  // NOTE: 4000039 reveals to the holder of a privileged session whether a guess is the current
  // password, and these checks are not throttled.
  const current = identity.credentials.password?.config.hashedPassword;
  if (current && (await registrar.hasher.verify(password, current)).outcome === "match") {
    return passwordSameAsOld();
  }
  return undefined;
}
