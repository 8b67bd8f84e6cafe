import type { Context } from "koa";
import type { Registrar } from "../../../app/registrar.ts";
import { type Identity, normalizeIdentifier } from "../../../domain/identity/index.ts";
import type { Flow } from "../../../flows/flow-store.ts";
import type { LoginAttemptKeys, LoginThrottle } from "../../../security/login-throttle.ts";
import { type LoginFailureReason, recordSecurityEvent } from "../../../security/security-log.ts";
import { rateLimited } from "../../errors.ts";
import { sessionAlreadyAvailable } from "../../kratos/flow-errors.ts";
import {
  identityDisabledText,
  invalidCredentials,
  loginStrategyNotFound,
  propertyMissing,
  tooLong,
  validationFailed,
} from "../../kratos/messages.ts";
import { commandContext } from "../../request-context.ts";
import { bodyObject, stringField } from "./flow-helpers.ts";
import { type FormMessage, requiredString } from "./form-fields.ts";
import { activeSessionOf, loginStateOf, rejectLogin } from "./login-flow.ts";
import { completeLogin } from "./login-session.ts";

export interface LoginServices {
  registrar: Registrar;
  throttle: LoginThrottle;
}

interface PasswordAttempt {
  identifier: string;
  normalized: string;
  password: string;
}

/**
 * Handles `POST /self-service/login` for a loaded flow: checks the form, throttles, verifies
 * the password and issues a session. Every failure of the credentials gets 400 with message
 * 4000006 after one password verification, so neither the response nor its timing reveals
 * whether the identifier exists or has a password.
 */
export async function submitLogin(ctx: Context, services: LoginServices, flow: Flow) {
  const { registrar } = services;
  const body = bodyObject(ctx);
  const active = await activeSessionOf(ctx, registrar);
  if (active && !loginStateOf(flow).refresh) {
    const reason = sessionAlreadyAvailable().reason;
    await rejectLogin(
      ctx,
      registrar,
      flow,
      stringField(body, "identifier"),
      [{ text: validationFailed(reason) }],
      { active: false },
    );
    return;
  }
  if (body.method !== "password") {
    await rejectLogin(ctx, registrar, flow, undefined, [{ text: loginStrategyNotFound() }], {
      active: false,
    });
    return;
  }

  const attempt = readPasswordForm(body);
  if ("messages" in attempt) {
    await rejectLogin(ctx, registrar, flow, stringField(body, "identifier"), attempt.messages);
    return;
  }
  await verifyPasswordLogin(ctx, services, flow, attempt);
}

function readPasswordForm(
  body: Record<string, unknown>,
): PasswordAttempt | { messages: FormMessage[] } {
  // `password_identifier` is the deprecated name of `identifier` in Kratos's API.
  const legacy = body.identifier === undefined && body.password_identifier !== undefined;
  const identifier = requiredString(body, legacy ? "password_identifier" : "identifier");
  const password = requiredString(body, "password");
  const messages: FormMessage[] = [];
  if (!identifier.ok) messages.push({ node: "identifier", text: identifier.message });
  if (!password.ok) messages.push({ node: "password", text: password.message });
  if (!identifier.ok || !password.ok) return { messages };

  const normalized = normalizeIdentifier(identifier.value);
  if (typeof normalized !== "string") {
    const text =
      normalized.reason === "empty"
        ? propertyMissing("identifier")
        : tooLong(normalized.maxLength, [...identifier.value].length);
    return { messages: [{ node: "identifier", text }] };
  }
  return { identifier: identifier.value, normalized, password: password.value };
}

async function verifyPasswordLogin(
  ctx: Context,
  services: LoginServices,
  flow: Flow,
  attempt: PasswordAttempt,
): Promise<void> {
  const { registrar, throttle } = services;
  const { claims } = registrar.personalData;
  const keys: LoginAttemptKeys = {
    identifier: claims.claimKey("login_throttle", attempt.normalized),
    ip: claims.claimKey("login_throttle_ip", ctx.ip),
  };
  const context = { ...commandContext(ctx, { type: "anonymous" as const }), causationId: flow.id };

  const decision = await throttle.begin(keys);
  if (!decision.allowed) {
    // Only the first rejection of a window is logged, so a flood of attempts cannot fill the
    // append-only log. Later rejections are counted in Redis alone.
    if (decision.firstRejection) {
      const data = { scope: decision.scope, retryAfterSeconds: decision.retryAfterSeconds };
      await recordSecurityEvent(
        registrar.pool,
        {
          type: "LoginThrottled",
          identityId: null,
          identifierKey: keys.identifier,
          data: { ...data, flowId: flow.id },
        },
        context,
      );
    }
    throw rateLimited(decision.retryAfterSeconds, {
      message: "Too many failed sign-in attempts.",
    });
  }

  const identity = await registrar.queries.findByIdentifier("password", attempt.normalized);
  const failure = await checkCredentials(registrar, identity, attempt.password);
  if (failure) {
    registrar.logger.info(
      { request_id: context.correlationId, identity_id: identity?.id ?? null, reason: failure },
      "login failed",
    );
    await recordSecurityEvent(
      registrar.pool,
      {
        type: "LoginFailed",
        identityId: identity?.id ?? null,
        identifierKey: keys.identifier,
        data: { reason: failure, flowId: flow.id },
      },
      context,
    );
    const text = failure === "inactive" ? identityDisabledText() : invalidCredentials();
    await rejectLogin(ctx, registrar, flow, attempt.identifier, [{ text }]);
    return;
  }

  await throttle.succeed(keys);
  await completeLogin(ctx, registrar, flow, identity!, attempt.password);
}

/**
 * Verifies the password and returns why the login fails, or undefined when it succeeds. Every
 * path runs exactly one password verification: the dummy one when there is no hash, so that
 * unknown identifiers cost the same time as wrong passwords. An inactive identity is reported
 * only after a correct password, so guessers do not learn its state.
 */
async function checkCredentials(
  registrar: Registrar,
  identity: Identity | undefined,
  password: string,
): Promise<LoginFailureReason | undefined> {
  const hash = identity?.credentials.password?.config.hashedPassword;
  if (!identity || !hash) {
    await registrar.hasher.verifyDummy(password);
    return identity ? "no_password" : "unknown_identifier";
  }

  const verification = await registrar.hasher.verify(password, hash);
  if (verification.outcome === "invalid_hash") {
    registrar.logger.error(
      { identity_id: identity.id, failure: verification.failure },
      "stored password hash cannot be verified",
    );
  }
  if (verification.outcome !== "match") return "wrong_password";
  return identity.state === "active" ? undefined : "inactive";
}
