import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Context } from "koa";
import type { Registrar } from "../../../app/registrar.ts";
import { CourierSecretStore, type NewCourierSecret } from "../../../courier/courier-secrets.ts";
import type { EventActor } from "../../../eventstore/envelope.ts";
import type { ChallengeMethod } from "../../../flows/codes.ts";
import { type FlowChallenge, issueChallenge } from "../../../flows/codes-challenge.ts";
import type { Flow } from "../../../flows/flow-store.ts";
import { PersonalDataError } from "../../../personal-data/errors.ts";
import { rateLimited } from "../../errors.ts";
import { flowActionUrl } from "../../kratos/flows.ts";
import { requestIdOf } from "../../middleware/request-id.ts";
import { commandContext } from "../../request-context.ts";
import type { ChallengeFlowKind } from "./challenge-ui.ts";

/**
 * Minimum time a send request takes. A known address costs a read-model lookup plus a command,
 * an unknown one only the lookup, so both wait until this much time has passed and respond
 * after the same delay.
 * NOTE: 250 ms is an estimate that covers a local command (about 10 to 40 ms) with a wide margin.
 * A command slower than this still shows in the response time.
 */
export const minimumSendDurationMs = 250;

const templates = {
  recovery: { code: "recovery_code_valid", link: "recovery_valid" },
  verification: { code: "verification_code_valid", link: "verification_valid" },
} as const;

export interface SendChallengeRequest {
  flow: Flow;
  kind: ChallengeFlowKind;
  method: ChallengeMethod;
  /** Normalized email address. */
  address: string;
}

/**
 * Sends a code or link to an address in a self-service flow without revealing whether the
 * address belongs to an identity. Every outcome takes at least `minimumSendDurationMs`:
 * - over the per-IP send limit: 429 `rate_limited` with Retry-After, before any lookup;
 * - over the per-address limit: no message, and the flow keeps its current challenge;
 * - an unknown address: a challenge whose secret is sent to no one, and no event;
 * - a known address: a new challenge and a `RequestRecoveryMessage` or
 *   `RequestVerificationMessage` command.
 * The per-address limit behaves like a sent message, so that it does not reveal whether the
 * address exists. Returns the flow with its new challenge; the caller saves it.
 */
export async function sendChallenge(
  ctx: Context,
  registrar: Registrar,
  request: SendChallengeRequest,
): Promise<Flow> {
  const startedAt = performance.now();
  try {
    return await sendWithoutDelay(ctx, registrar, request);
  } finally {
    const remainingMs = minimumSendDurationMs - (performance.now() - startedAt);
    if (remainingMs > 0) await sleep(remainingMs);
  }
}

async function sendWithoutDelay(
  ctx: Context,
  registrar: Registrar,
  request: SendChallengeRequest,
): Promise<Flow> {
  const { flow, kind, address } = request;
  const log = registrar.logger.child({ request_id: requestIdOf(ctx), flow_id: flow.id });
  const decision = await registrar.courier.sendLimiter({ address, ip: ctx.ip || undefined });
  if (!decision.allowed && decision.limit === "ip") {
    log.info({ retry_after_seconds: decision.retryAfterSeconds }, "send limit per IP reached");
    throw rateLimited(decision.retryAfterSeconds);
  }
  if (!decision.allowed) {
    log.info({ flow_kind: kind }, "send limit per address reached; no message requested");
    return flow;
  }

  const addressKind = kind === "recovery" ? "recovery" : "verifiable";
  const identity = await registrar.queries.findByAddress(addressKind, "email", address);
  const identityId = identity?.id ?? null;
  const challenge = await requestChallengeMessage(ctx, registrar, {
    ...request,
    identityId,
  });
  return { ...flow, internal: { ...flow.internal, challenge } };
}

export interface ChallengeMessageRequest extends SendChallengeRequest {
  /** The identity of the address; null issues a challenge without sending anything. */
  identityId: string | null;
  /** The requester recorded on the event; anonymous unless a signed-in identity caused it. */
  actor?: EventActor;
}

/**
 * Issues a new challenge for the flow and, for a known identity, requests the message that
 * carries its code or link. The code or link goes to `courier_secrets` before the request event
 * is appended, and the secret of the flow's previous message is deleted, as its code no longer
 * works. A rejected command, such as recovery of an inactive identity, is logged and leaves a
 * challenge whose secret is sent to no one. Returns the challenge.
 */
export async function requestChallengeMessage(
  ctx: Context,
  registrar: Registrar,
  request: ChallengeMessageRequest,
): Promise<FlowChallenge> {
  const { flow, kind, method, address, identityId } = request;
  const now = new Date();
  const expiresAt = new Date(now.getTime() + registrar.settings.codeLifespanMs);
  const { challenge, secret } = issueChallenge(
    registrar.personalData.claims,
    flow.id,
    { method, identityId, address },
    expiresAt,
  );
  const secrets = new CourierSecretStore(registrar.pool, registrar.personalData.cipher);
  await secrets.deleteFlowSecrets(flow.id);
  if (identityId === null) return challenge;

  const content =
    method === "code"
      ? { code: secret }
      : { link: challengeLink(registrar.settings.publicUrl, kind, flow.id, secret) };
  const common = {
    identityId,
    messageId: randomUUID(),
    flowId: flow.id,
    via: "email" as const,
    address,
    ...content,
    expiresAt: expiresAt.toISOString(),
    now: now.toISOString(),
  };
  const saved = await saveMessageSecret(secrets, {
    messageId: common.messageId,
    identityId,
    flowId: flow.id,
    eventType: kind === "recovery" ? "RecoveryMessageRequested" : "VerificationMessageRequested",
    value: content.code ?? content.link,
    expiresAt,
  });
  if (!saved) {
    registrar.logger.warn(
      { request_id: requestIdOf(ctx), flow_id: flow.id, identity_id: identityId },
      `${kind} message not requested because the identity was erased`,
    );
    return challenge;
  }
  const actor = request.actor ?? { type: "anonymous" as const };
  const context = { ...commandContext(ctx, actor), causationId: flow.id };
  const outcome =
    kind === "recovery"
      ? await registrar.identities.execute(
          { type: "RequestRecoveryMessage", template: templates.recovery[method], ...common },
          context,
        )
      : await registrar.identities.execute(
          {
            type: "RequestVerificationMessage",
            template: templates.verification[method],
            ...common,
          },
          context,
        );
  if (!outcome.ok) {
    await secrets.deleteSecret(common.messageId);
    registrar.logger.warn(
      {
        request_id: requestIdOf(ctx),
        flow_id: flow.id,
        identity_id: identityId,
        code: outcome.error.code,
      },
      `${kind} message request was rejected; no message is sent`,
    );
  }
  return challenge;
}

/** Stores a message's code or link. Returns false when the identity was erased meanwhile. */
async function saveMessageSecret(
  secrets: CourierSecretStore,
  secret: NewCourierSecret,
): Promise<boolean> {
  try {
    await secrets.saveSecret(secret);
    return true;
  } catch (error) {
    if (error instanceof PersonalDataError && error.code === "subject_erased") return false;
    throw error;
  }
}

/** Builds the link that completes a flow: `<public>/self-service/<kind>?flow=<id>&token=<t>`. */
export function challengeLink(
  publicUrl: string,
  kind: ChallengeFlowKind,
  flowId: string,
  token: string,
): string {
  const url = new URL(flowActionUrl(publicUrl, kind, flowId));
  url.searchParams.set("token", token);
  return url.toString();
}
