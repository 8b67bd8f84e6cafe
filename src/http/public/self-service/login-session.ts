import type { Context } from "koa";
import type { Registrar } from "../../../app/registrar.ts";
import type { AuthenticationMethod, Identity } from "../../../domain/identity/index.ts";
import type { Flow } from "../../../flows/flow-store.ts";
import type { ActiveSession } from "../../../queries/identity-queries.ts";
import { internalServerError, serviceUnavailable } from "../../errors.ts";
import { setOrySessionToken } from "../../kratos/continue-with.ts";
import { identityDisabledText, invalidCredentials } from "../../kratos/messages.ts";
import { commandContext, sessionTokenOf } from "../../request-context.ts";
import { activeSessionJson } from "../session-auth.ts";
import { activeSessionOf, loginStateOf, rejectLogin } from "./login-flow.ts";

// A refreshed session carries the methods of the sessions it replaces; this bounds the list.
const maxAuthenticationMethods = 10;

/**
 * Finishes a login whose password matched: replaces an outdated hash, issues a session and
 * responds with Kratos's `successfulNativeLogin`. With `refresh=true`, the new session replaces
 * the one the request carries, so re-authentication always yields a fresh token.
 */
export async function completeLogin(
  ctx: Context,
  registrar: Registrar,
  flow: Flow,
  identity: Identity,
  password: string,
): Promise<void> {
  const stored = await rehashPassword(ctx, registrar, identity, password);
  // After a rehash, the response shows the identity as the read model has it with the new hash.
  // When that cannot be read, the session is read back instead.
  const current = stored.rehashedAt
    ? await identityAfter(registrar, identity.id, stored.rehashedAt)
    : stored.rehashed
      ? undefined
      : identity;

  const previous = loginStateOf(flow).refresh ? await activeSessionOf(ctx, registrar) : undefined;
  const sameIdentity = previous?.identity.id === identity.id;
  const completed: AuthenticationMethod = {
    method: "password",
    aal: "aal1",
    completedAt: new Date().toISOString(),
  };
  const methods = sameIdentity
    ? [...methodsOf(previous), completed].slice(-maxAuthenticationMethods)
    : [completed];

  const actor = { type: "identity" as const, id: identity.id, authMethod: "password" };
  const issued = await registrar.sessions.issue(
    identity.id,
    methods,
    { ...commandContext(ctx, actor), causationId: flow.id },
    {
      ...(sameIdentity && { supersedesSessionId: previous.session.id }),
      ...(current && { identity: current }),
      // A password change that lands after the verification must also stop this login.
      verifiedPasswordHash: stored.hash,
    },
  );
  if (!issued.outcome.ok) {
    // The identity was deactivated between the password check and the session.
    if (issued.outcome.error.code === "identity_inactive") {
      await rejectLogin(ctx, registrar, flow, undefined, [{ text: identityDisabledText() }]);
      return;
    }
    // The password was changed, or the identity deleted or erased, during this login.
    const code = issued.outcome.error.code;
    if (code === "credential_changed" || code === "identity_not_found") {
      await rejectLogin(ctx, registrar, flow, undefined, [{ text: invalidCredentials() }]);
      return;
    }
    throw internalServerError(new Error(`session not issued: ${issued.outcome.error.code}`));
  }
  if (previous) await endPreviousSession(ctx, registrar, previous, sameIdentity);

  await registrar.flows.save({
    ...flow,
    state: "passed_challenge",
    identityId: identity.id,
    sessionId: issued.sessionId,
    internal: { ...flow.internal, active: "password" },
  });
  const active = issued.active ?? (await registrar.sessions.resolve(issued.token));
  if (!active) throw serviceUnavailable({ message: "The new session is not readable yet." });

  ctx.body = {
    session: activeSessionJson(active, registrar.settings.publicUrl),
    session_token: issued.token,
    continue_with: [setOrySessionToken(issued.token)],
  };
}

function methodsOf(active: ActiveSession): AuthenticationMethod[] {
  return active.session.authenticationMethods.map((method) => ({
    method: method.method as AuthenticationMethod["method"],
    aal: method.aal,
    completedAt: method.completedAt.toISOString(),
    ...(method.provider !== undefined && { provider: method.provider }),
  }));
}

/**
 * Ends the session a refresh login replaces. The same identity's session was already revoked as
 * superseded by the new one; another identity's session is revoked here.
 */
async function endPreviousSession(
  ctx: Context,
  registrar: Registrar,
  previous: ActiveSession,
  sameIdentity: boolean,
): Promise<void> {
  if (!sameIdentity) {
    const actor = { type: "identity" as const, id: previous.identity.id, authMethod: "password" };
    const outcome = await registrar.identities.execute(
      {
        type: "RevokeSession",
        identityId: previous.identity.id,
        sessionId: previous.session.id,
        reason: "superseded",
        now: new Date().toISOString(),
      },
      commandContext(ctx, actor),
    );
    if (outcome.ok && outcome.position) await registrar.sessions.waitForSessions(outcome.position);
  }
  const token = sessionTokenOf(ctx);
  if (token) registrar.sessions.forget(token);
}

/** Returns the identity once the identities read model has applied `position`. */
async function identityAfter(
  registrar: Registrar,
  identityId: string,
  position: string,
): Promise<Identity | undefined> {
  if (!(await registrar.sessions.waitForIdentities(position))) return undefined;
  return registrar.queries.findIdentity(identityId);
}

/**
 * Replaces a hash made with an older algorithm or lower cost with an argon2id hash at the
 * configured parameters, unless the stored hash has changed since the login checked it. A
 * failure is logged and does not fail the login. Returns the hash the session is issued
 * against, whether the stored identity may differ from `identity`, and the position of this
 * login's own rehash when it made one.
 */
async function rehashPassword(
  ctx: Context,
  registrar: Registrar,
  identity: Identity,
  password: string,
): Promise<{ hash: string; rehashed: boolean; rehashedAt?: string }> {
  const verified = identity.credentials.password?.config.hashedPassword ?? "";
  if (!registrar.hasher.needsRehash(verified)) return { hash: verified, rehashed: false };

  try {
    const hashedPassword = await registrar.hasher.hash(password);
    const outcome = await registrar.identities.execute(
      {
        type: "ChangePassword",
        identityId: identity.id,
        hashedPassword,
        replacesHash: verified,
        now: new Date().toISOString(),
      },
      commandContext(ctx, { type: "system", id: "password-rehash" }),
    );
    if (outcome.ok) {
      return {
        hash: hashedPassword,
        rehashed: true,
        ...(outcome.position && { rehashedAt: outcome.position }),
      };
    }
    if (outcome.error.code === "credential_changed") {
      return {
        hash: await currentHashIfMatching(registrar, identity.id, password, verified),
        rehashed: true,
      };
    }
    registrar.logger.warn(
      { identity_id: identity.id, error_code: outcome.error.code },
      "password rehash rejected",
    );
  } catch (error) {
    registrar.logger.error({ identity_id: identity.id, err: error }, "password rehash failed");
  }
  return { hash: verified, rehashed: true };
}

/**
 * Returns the identity's current hash when `password` matches it, as after a parallel login's
 * rehash, and otherwise `verified`, which the session command then rejects as changed.
 */
async function currentHashIfMatching(
  registrar: Registrar,
  identityId: string,
  password: string,
  verified: string,
): Promise<string> {
  const { state } = await registrar.identities.load(identityId);
  const current =
    state.status === "existing"
      ? state.identity.credentials.password?.config.hashedPassword
      : undefined;
  if (current === undefined) return verified;
  const check = await registrar.hasher.verify(password, current);
  return check.outcome === "match" ? current : verified;
}
