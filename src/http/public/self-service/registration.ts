import { randomUUID } from "node:crypto";
import type Router from "@koa/router";
import type { Context } from "koa";
import type { Registrar } from "../../../app/registrar.ts";
import {
  checkPasswordPolicy,
  type Traits as DomainTraits,
} from "../../../domain/identity/index.ts";
import type { Flow } from "../../../flows/flow-store.ts";
import { toIdentityView } from "../../../queries/identity-queries.ts";
import { FallbackLimiter } from "../../../security/login-throttle.ts";
import { badRequest, rateLimited } from "../../errors.ts";
import { setOrySessionToken } from "../../kratos/continue-with.ts";
import { sessionAlreadyAvailable } from "../../kratos/flow-errors.ts";
import { flowActionUrl, registrationFlowToJson } from "../../kratos/flows.ts";
import { identityToJson } from "../../kratos/identity-json.ts";
import {
  duplicateCredentials,
  propertyMissing,
  registrationFlowExpired,
  registrationStrategyNotFound,
  type UiText,
} from "../../kratos/messages.ts";
import { sessionToJson } from "../../kratos/session-json.ts";
import { addContainerMessages, addNodeMessages, uiContainer } from "../../kratos/ui.ts";
import { csrfTokenNode, passwordRegistrationNodes, traitNodes } from "../../kratos/ui-nodes.ts";
import { commandContext, requestUrlOf, sessionTokenOf } from "../../request-context.ts";
import {
  bodyObject,
  loadFlow,
  passwordPolicyMessage,
  stringField,
  uiTraitFields,
} from "./flow-helpers.ts";
import { checkReturnTo, rejectBrowserRequest, singleQueryParam } from "./native-request.ts";
import { sendVerificationToNewAddresses } from "./verification-of-new-addresses.ts";

/** Native registration with a password, following Kratos's `/self-service/registration` API. */
export function registerRegistrationRoutes(router: Router, registrar: Registrar): void {
  const limiter = new FallbackLimiter({
    name: "registration-ip",
    redis: registrar.redis,
    points: registrar.config.REGISTRATIONS_PER_IP,
    windowSeconds: registrar.config.REGISTRATION_THROTTLE_WINDOW_SECONDS,
    logger: registrar.logger,
    timeoutMs: 500,
  });

  router.get("/self-service/registration/api", async (ctx) => {
    checkReturnTo(registrar.settings.publicUrl, singleQueryParam(ctx, "return_to"));
    await rejectWhenSignedIn(ctx, registrar);
    const flow = await createRegistrationFlow(ctx, registrar);
    ctx.body = renderFlow(flow);
  });

  router.get("/self-service/registration/flows", async (ctx) => {
    const flow = await loadFlow(ctx, registrar, "registration", (expired) =>
      replaceExpiredFlow(ctx, registrar, expired),
    );
    ctx.body = renderFlow(flow);
  });

  router.post("/self-service/registration", async (ctx) => {
    const flow = await loadFlow(ctx, registrar, "registration", (expired) =>
      replaceExpiredFlow(ctx, registrar, expired),
    );
    rejectBrowserRequest(ctx);
    await rejectWhenSignedIn(ctx, registrar);
    // Every submission costs a password hash, so each client IP gets a bounded number.
    const ipKey = registrar.personalData.claims.claimKey("registration_ip", ctx.ip);
    const limit = await limiter.consume(ipKey);
    if (limit.limited) throw rateLimited(limit.retryAfterSeconds);
    await submitRegistration(ctx, registrar, flow);
  });
}

async function rejectWhenSignedIn(ctx: Context, registrar: Registrar): Promise<void> {
  const token = sessionTokenOf(ctx);
  if (token && (await registrar.sessions.resolve(token))) throw sessionAlreadyAvailable();
}

/** Builds the replacement of an expired flow, carrying message 4040001. */
function replaceExpiredFlow(ctx: Context, registrar: Registrar, expired: Flow): Promise<Flow> {
  return createRegistrationFlow(ctx, registrar, [
    registrationFlowExpired(expired.expiresAt, new Date()),
  ]);
}

function createRegistrationFlow(
  ctx: Context,
  registrar: Registrar,
  messages: UiText[] = [],
): Promise<Flow> {
  const schemaId = registrar.schemas.defaultSchemaId;
  const fields = uiTraitFields(registrar.schemas.describeTraitFields(schemaId) ?? []);
  return registrar.flows.create({
    kind: "registration",
    flowType: "api",
    state: "choose_method",
    requestUrl: requestUrlOf(ctx, registrar.settings.publicUrl),
    returnTo: null,
    identityId: null,
    sessionId: null,
    internal: { schemaId },
    lifespanMs: registrar.settings.flowLifespanMs,
    ui: (id) =>
      uiContainer({
        action: flowActionUrl(registrar.settings.publicUrl, "registration", id),
        nodes: [
          csrfTokenNode("api", ""),
          ...traitNodes(fields, {}, "default"),
          ...passwordRegistrationNodes(),
        ],
        messages,
      }),
  });
}

function renderFlow(flow: Flow) {
  return registrationFlowToJson({
    id: flow.id,
    type: flow.flowType,
    expiresAt: flow.expiresAt,
    issuedAt: flow.issuedAt,
    requestUrl: flow.requestUrl,
    ...(flow.returnTo ? { returnTo: flow.returnTo } : {}),
    ui: flow.ui,
    state: flow.state as "choose_method",
    organizationId: null,
  });
}

/** Responds 400 with the whole flow, its UI carrying the messages, as Kratos does. */
async function rejectWithMessages(
  ctx: Context,
  registrar: Registrar,
  flow: Flow,
  traits: Record<string, unknown>,
  messages: { node?: string; text: UiText }[],
): Promise<void> {
  const schemaId = String(flow.internal.schemaId ?? registrar.schemas.defaultSchemaId);
  const fields = uiTraitFields(registrar.schemas.describeTraitFields(schemaId) ?? []);
  let ui = uiContainer({
    action: flow.ui.action,
    nodes: [
      csrfTokenNode("api", ""),
      ...traitNodes(fields, traits, "default"),
      ...passwordRegistrationNodes(),
    ],
  });
  for (const message of messages) {
    ui = message.node
      ? addNodeMessages(ui, message.node, [message.text])
      : addContainerMessages(ui, [message.text]);
  }
  const updated: Flow = { ...flow, ui };
  await registrar.flows.save(updated);
  ctx.status = 400;
  ctx.body = renderFlow(updated);
}

async function submitRegistration(ctx: Context, registrar: Registrar, flow: Flow): Promise<void> {
  const body = bodyObject(ctx);
  const schemaId = String(flow.internal.schemaId ?? registrar.schemas.defaultSchemaId);
  const rawTraits = body.traits ?? {};
  const displayTraits =
    rawTraits !== null && typeof rawTraits === "object" && !Array.isArray(rawTraits)
      ? (rawTraits as Record<string, unknown>)
      : {};

  if (stringField(body, "method") !== "password") {
    await rejectWithMessages(ctx, registrar, flow, displayTraits, [
      { text: registrationStrategyNotFound() },
    ]);
    return;
  }

  const coerced = registrar.schemas.coerceTraits(schemaId, rawTraits);
  const validated = coerced.ok
    ? registrar.schemas.validateTraits(schemaId, coerced.value)
    : coerced;
  const messages: { node?: string; text: UiText }[] = [];
  if (!validated.ok) {
    const failures = validated.error.kind === "invalid_traits" ? validated.error.failures : [];
    for (const failure of failures) {
      messages.push({
        node: failure.path === "traits" ? undefined : failure.path,
        text: failure.message as UiText,
      });
    }
    if (failures.length === 0) messages.push({ text: propertyMissing("traits") });
  }

  const password = stringField(body, "password");
  if (password === undefined || password === "") {
    messages.push({ node: "password", text: propertyMissing("password") });
  }
  if (!validated.ok || password === undefined || password === "") {
    await rejectWithMessages(ctx, registrar, flow, displayTraits, messages);
    return;
  }

  const { traits, extracted } = validated.value;
  const identifiers = extracted.credentialIdentifiers.password ?? [];
  const violation = checkPasswordPolicy(password, identifiers);
  const breach = violation ? undefined : await registrar.breachedPasswords.check(password);
  const policyError =
    violation ??
    (breach?.breached ? { code: "password_breached" as const, breaches: breach.count } : undefined);
  if (policyError) {
    const text = passwordPolicyMessage(policyError);
    await rejectWithMessages(ctx, registrar, flow, traits, [{ node: "password", text: text! }]);
    return;
  }

  const identityId = randomUUID();
  const hashedPassword = await registrar.hasher.hash(password);
  // A flow registers one identity: claim it before the command, so parallel submissions of
  // one flow cannot create several identities.
  if (!(await registrar.flows.claim(flow.id))) {
    throw badRequest({
      message: "This registration flow was already used.",
      reason: "Start a new registration flow.",
    });
  }
  const context = commandContext(ctx, { type: "anonymous" });
  const outcome = await registrar.identities.execute(
    {
      type: "RegisterIdentity",
      identityId,
      schemaId,
      traits: traits as DomainTraits,
      identifiers: { password: identifiers },
      password: { hashedPassword },
      verifiableAddresses: extracted.verifiableAddresses.map((address) => ({
        id: randomUUID(),
        ...address,
      })),
      recoveryAddresses: extracted.recoveryAddresses.map((address) => ({
        id: randomUUID(),
        ...address,
      })),
      now: new Date().toISOString(),
    },
    context,
  );
  if (!outcome.ok) {
    // Kratos rejects a taken identifier with 4000007 on the form. The same text covers a race.
    await registrar.flows.release(flow.id, "choose_method");
    await rejectWithMessages(ctx, registrar, flow, traits, [{ text: duplicateCredentials() }]);
    return;
  }

  const actor = { type: "identity" as const, id: identityId, authMethod: "password" };
  const issued = await registrar.sessions.issue(
    identityId,
    [{ method: "password", aal: "aal1", completedAt: new Date().toISOString() }],
    { ...commandContext(ctx, actor), causationId: flow.id },
  );
  if (outcome.position) await registrar.sessions.waitForIdentities(outcome.position);
  await registrar.flows.save({
    ...flow,
    state: "passed_challenge",
    identityId,
    sessionId: issued.sessionId,
  });

  const active = await registrar.sessions.resolve(issued.token);
  const identity = active?.identity ?? (await registrar.queries.findIdentity(identityId));
  const continueWith = [
    setOrySessionToken(issued.token),
    ...(await sendVerificationToNewAddresses(
      ctx,
      registrar,
      identityId,
      extracted.verifiableAddresses,
    )),
  ];

  ctx.body = {
    identity: identity
      ? identityToJson(toIdentityView(identity), {
          publicBaseUrl: registrar.settings.publicUrl,
          audience: "public",
        })
      : undefined,
    session: active
      ? sessionToJson(
          { ...active.session, identity: toIdentityView(active.identity) },
          { publicBaseUrl: registrar.settings.publicUrl, identityAudience: "public" },
        )
      : undefined,
    session_token: issued.token,
    continue_with: continueWith,
  };
}
