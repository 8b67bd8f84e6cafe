import type { Context } from "koa";
import type { Registrar } from "../../../app/registrar.ts";
import { CourierSecretStore } from "../../../courier/courier-secrets.ts";
import type { ChallengeMethod } from "../../../flows/codes.ts";
import {
  codeSubmissionsCounter,
  type FlowChallenge,
  isFlowInvalidated,
  matchChallenge,
  maxCodeSubmissions,
} from "../../../flows/codes-challenge.ts";
import { saveChallengeFlow, useChallenge } from "../../../flows/codes-store.ts";
import type { Flow } from "../../../flows/flow-store.ts";
import { addNodeMessages } from "../../kratos/ui.ts";
import { respondWithFlow } from "./challenge-flow.ts";
import { type ChallengeBody, parseChallengeBody, readEmail } from "./challenge-input.ts";
import { sendChallenge } from "./challenge-send.ts";
import {
  type ChallengeFlowKind,
  challengeTexts,
  chooseMethodUi,
  sentUi,
  tooManySubmissions,
  withMessages,
} from "./challenge-ui.ts";

/** Completes a flow whose code or link was correct, and writes the response. */
export type ChallengePassed = (flow: Flow, challenge: FlowChallenge) => Promise<void>;

/**
 * Handles `POST` (and the link's `GET`) on `/self-service/recovery` or `/verification`: a
 * `token` query parameter is a clicked link, an `email` sends a code or link, and a `code`
 * completes the code method. A GET without token or code returns the flow.
 */
export async function submitChallengeFlow(
  ctx: Context,
  registrar: Registrar,
  flow: Flow,
  onPassed: ChallengePassed,
): Promise<void> {
  const token = ctx.query.token;
  const body = readSubmission(ctx);
  if (token === undefined && body === undefined) {
    respondWithFlow(ctx, flow);
    return;
  }
  if (isFlowInvalidated(flow)) {
    await rejectTooManySubmissions(registrar, flow, ctx);
    return;
  }
  if (token !== undefined) {
    await submitSecret(ctx, registrar, flow, "link", token, onPassed);
    return;
  }

  const submission = body!;
  if (submission.email !== undefined && submission.email.trim() !== "") {
    await submitEmail(ctx, registrar, flow, submission.method, submission.email);
  } else if (submission.method === "code" && submission.code !== undefined) {
    await submitSecret(ctx, registrar, flow, "code", submission.code, onPassed);
  } else {
    await rejectEmail(ctx, registrar, flow, submission.email);
  }
}

/** Reads the POST body, or the `code` query parameter of a GET as Kratos's mails link it. */
function readSubmission(ctx: Context): ChallengeBody | undefined {
  if (ctx.method !== "GET") return parseChallengeBody(ctx);
  const code = ctx.query.code;
  return typeof code === "string" ? { method: "code", code } : undefined;
}

async function submitEmail(
  ctx: Context,
  registrar: Registrar,
  flow: Flow,
  method: ChallengeMethod,
  rawEmail: string,
): Promise<void> {
  const email = readEmail(rawEmail);
  if (!email.ok) {
    await rejectEmail(ctx, registrar, flow, rawEmail);
    return;
  }

  const kind = flow.kind as ChallengeFlowKind;
  const sent = await sendChallenge(ctx, registrar, { flow, kind, method, address: email.address });
  const updated: Flow = {
    ...sent,
    state: "sent_email",
    ui: sentUi(registrar.settings.publicUrl, kind, flow.id, method, email.address),
    internal: { ...sent.internal, active: method },
  };
  await saveChallengeFlow(registrar.pool, updated);
  respondWithFlow(ctx, updated);
}

/** Responds 400 with the address form, whose `email` node carries what is wrong. */
async function rejectEmail(
  ctx: Context,
  registrar: Registrar,
  flow: Flow,
  rawEmail: string | undefined,
): Promise<void> {
  const email = readEmail(rawEmail);
  const kind = flow.kind as ChallengeFlowKind;
  const form = chooseMethodUi(registrar.settings.publicUrl, kind, flow.id);
  const ui = email.ok ? form : addNodeMessages(form, "email", [email.message]);
  respondWithFlow(ctx, { ...flow, ui }, 400);
}

async function submitSecret(
  ctx: Context,
  registrar: Registrar,
  flow: Flow,
  method: ChallengeMethod,
  secret: unknown,
  onPassed: ChallengePassed,
): Promise<void> {
  const outcome = await checkSecret(registrar, flow, method, secret);
  if (outcome.status === "too_many") {
    await rejectTooManySubmissions(registrar, flow, ctx);
    return;
  }
  if (outcome.status === "invalid") {
    const texts = challengeTexts[flow.kind as ChallengeFlowKind];
    const message = method === "code" ? texts.invalidCode() : texts.invalidToken();
    respondWithFlow(ctx, { ...flow, ui: withMessages(flow.ui, [message]) });
    return;
  }
  await onPassed(flow, outcome.challenge);
}

type SecretCheck =
  | { status: "passed"; challenge: FlowChallenge }
  | { status: "invalid" }
  | { status: "too_many" };

/**
 * Checks a code or link token. Every code submission first raises the flow's counter
 * atomically, so parallel guesses cannot exceed `maxCodeSubmissions`. The submission that
 * reaches the limit with a wrong code invalidates the flow. Link tokens carry 256 bits, so they
 * are not counted. A correct secret is marked used atomically, so it passes once, and its stored
 * copy for the courier is deleted.
 */
async function checkSecret(
  registrar: Registrar,
  flow: Flow,
  method: ChallengeMethod,
  secret: unknown,
): Promise<SecretCheck> {
  let submissions = 0;
  if (method === "code") {
    submissions = await registrar.flows.increment(flow.id, codeSubmissionsCounter);
    if (submissions > maxCodeSubmissions) return { status: "too_many" };
  }

  const now = new Date();
  const candidate = typeof secret === "string" ? secret.trim() : "";
  const challenge = matchChallenge(registrar.personalData.claims, flow, method, candidate, now);
  if (!challenge) {
    return submissions >= maxCodeSubmissions ? { status: "too_many" } : { status: "invalid" };
  }
  if (!(await useChallenge(registrar.pool, flow.id, challenge.id, now))) {
    return { status: "invalid" };
  }
  await deleteCourierSecrets(registrar, flow.id);
  return { status: "passed", challenge: { ...challenge, usedAt: now.toISOString() } };
}

/** Responds 400 with message 4000001, after which the flow accepts nothing more. */
async function rejectTooManySubmissions(
  registrar: Registrar,
  flow: Flow,
  ctx: Context,
): Promise<void> {
  const { challenge: _dropped, ...internal } = flow.internal;
  const invalidated: Flow = {
    ...flow,
    ui: withMessages(flow.ui, [tooManySubmissions()]),
    internal: { ...internal, [codeSubmissionsCounter]: maxCodeSubmissions },
  };
  await saveChallengeFlow(registrar.pool, invalidated);
  await deleteCourierSecrets(registrar, flow.id);
  respondWithFlow(ctx, invalidated, 400);
}

/** Deletes the flow's codes and links waiting for the courier, once none of them can be used. */
function deleteCourierSecrets(registrar: Registrar, flowId: string): Promise<void> {
  const secrets = new CourierSecretStore(registrar.pool, registrar.personalData.cipher);
  return secrets.deleteFlowSecrets(flowId);
}
