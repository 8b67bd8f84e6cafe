import { randomUUID } from "node:crypto";
import type { Context } from "koa";
import type { Registrar } from "../../../app/registrar.ts";
import type {
  CredentialIdentifiers,
  Traits as DomainTraits,
  Identity,
  VerifiableAddress,
} from "../../../domain/identity/index.ts";
import type { Flow } from "../../../flows/flow-store.ts";
import type { ExtractedTraits, TraitAddress } from "../../../identity-schema/index.ts";
import type { ActiveSession } from "../../../queries/identity-queries.ts";
import type { FallbackLimiter } from "../../../security/login-throttle.ts";
import { internalServerError, rateLimited } from "../../errors.ts";
import {
  duplicateCredentials,
  propertyMissing,
  settingsSaved,
  type UiText,
  validationFailed,
  wrongType,
} from "../../kratos/messages.ts";
import { commandContext } from "../../request-context.ts";
import { identityActor } from "../sessions.ts";
import { type FormMessage, jsonTypeOf } from "./form-fields.ts";
import {
  answerSettings,
  isPrivileged,
  refreshRequired,
  rejectEndedIdentity,
  settingsUi,
} from "./settings-flow.ts";
import { sendVerificationToNewAddresses } from "./verification-of-new-addresses.ts";

/**
 * Updates the traits from a settings flow (`method: "profile"`). The traits are validated
 * against the identity's schema. Changing a credential identifier or an address needs a
 * privileged session and is limited per identity, and a taken identifier gets message 4000007. Each new unverified address
 * gets a verification code, and the response's `continue_with` names its verification flow.
 */
export async function submitProfileSettings(
  ctx: Context,
  registrar: Registrar,
  flow: Flow,
  active: ActiveSession,
  body: Record<string, unknown>,
  identifierChanges: FallbackLimiter,
): Promise<void> {
  const identity = (await registrar.queries.findIdentity(active.identity.id)) ?? active.identity;
  const raw = body.traits;
  const submitted = isPlainObject(raw) ? raw : undefined;
  const reject = (messages: FormMessage[]) =>
    answerSettings(ctx, registrar, flow, {
      identity,
      ui: settingsUi(registrar, flow.ui.action, {
        identity,
        ...(submitted && { traits: submitted }),
        messages,
      }),
      state: "show_form",
      method: "profile",
    });

  if (raw === undefined || raw === null) return reject([{ text: propertyMissing("traits") }]);
  if (!submitted) return reject([{ text: wrongType(["object"], jsonTypeOf(raw)) }]);

  const validated = validateTraits(registrar, identity.schemaId, submitted);
  if ("messages" in validated) return reject(validated.messages);

  const { traits, extracted } = validated;
  const identifiers = identifiersFor(identity, extracted);
  if (changesCredentials(identity, identifiers, extracted)) {
    if (!isPrivileged(registrar, active)) throw refreshRequired(ctx, registrar);
    const limit = await identifierChanges.consume(identity.id);
    if (limit.limited) throw rateLimited(limit.retryAfterSeconds);
  }

  const outcome = await registrar.identities.execute(
    {
      type: "UpdateTraits",
      identityId: identity.id,
      traits: traits as DomainTraits,
      identifiers,
      verifiableAddresses: withIds(extracted.verifiableAddresses),
      recoveryAddresses: withIds(extracted.recoveryAddresses),
      now: new Date().toISOString(),
    },
    { ...commandContext(ctx, identityActor(active)), causationId: flow.id },
  );
  if (!outcome.ok && outcome.error.code === "claim_conflict") {
    return reject([{ text: duplicateCredentials() }]);
  }
  if (!outcome.ok) {
    rejectEndedIdentity(outcome.error);
    throw internalServerError(new Error(`traits update rejected: ${outcome.error.code}`));
  }
  if (outcome.position) await registrar.sessions.waitForIdentities(outcome.position);
  registrar.sessions.forgetAll();

  const changed = (await registrar.queries.findIdentity(identity.id)) ?? identity;
  const continueWith = await sendVerificationToNewAddresses(
    ctx,
    registrar,
    identity.id,
    addedUnverifiedAddresses(identity, changed),
    identityActor(active),
  );
  await answerSettings(ctx, registrar, flow, {
    identity: changed,
    ui: settingsUi(registrar, flow.ui.action, {
      identity: changed,
      messages: [{ text: settingsSaved() }],
    }),
    state: "success",
    method: "profile",
    continueWith,
  });
}

/**
 * Returns the unverified addresses of `after` that `before` does not have. Values are compared
 * lower-cased, as the domain normalizes them, so a change of case adds none.
 */
function addedUnverifiedAddresses(before: Identity, after: Identity): VerifiableAddress[] {
  const keyOf = (address: VerifiableAddress) => `${address.via}:${address.value.toLowerCase()}`;
  const known = new Set(before.verifiableAddresses.map(keyOf));
  return after.verifiableAddresses.filter(
    (address) => !address.verified && !known.has(keyOf(address)),
  );
}

function validateTraits(
  registrar: Registrar,
  schemaId: string,
  submitted: Record<string, unknown>,
): { traits: Record<string, unknown>; extracted: ExtractedTraits } | { messages: FormMessage[] } {
  const coerced = registrar.schemas.coerceTraits(schemaId, submitted);
  const validated = coerced.ok
    ? registrar.schemas.validateTraits(schemaId, coerced.value)
    : coerced;
  if (validated.ok) return validated.value;

  if (validated.error.kind === "schema_not_found") {
    return { messages: [{ text: validationFailed("The identity's schema is not configured.") }] };
  }
  return {
    messages: validated.error.failures.map((failure) => ({
      ...(failure.path !== "traits" && { node: failure.path }),
      text: failure.message as UiText,
    })),
  };
}

/**
 * Returns the identifiers to store per credential type: the password's, and those of the other
 * schema-marked types the identity already has a credential for, so that a profile change does
 * not create empty WebAuthn or code credentials.
 */
function identifiersFor(identity: Identity, extracted: ExtractedTraits): CredentialIdentifiers {
  const identifiers: CredentialIdentifiers = {};
  for (const [type, values] of Object.entries(extracted.credentialIdentifiers)) {
    const credentialType = type as keyof typeof extracted.credentialIdentifiers;
    if (credentialType === "password" || identity.credentials[credentialType]) {
      identifiers[credentialType] = [...values];
    }
  }
  return identifiers;
}

/** Reports whether the change adds or removes a credential identifier or an address. */
function changesCredentials(
  identity: Identity,
  identifiers: CredentialIdentifiers,
  extracted: ExtractedTraits,
): boolean {
  for (const [type, values] of Object.entries(identifiers)) {
    const current = identity.credentials[type as keyof CredentialIdentifiers]?.identifiers ?? [];
    if (!sameSet(current, values ?? [])) return true;
  }
  const addressKey = (address: TraitAddress) => `${address.via}:${address.value}`;
  return (
    !sameSet(
      identity.verifiableAddresses.map(addressKey),
      extracted.verifiableAddresses.map(addressKey),
    ) ||
    !sameSet(
      identity.recoveryAddresses.map(addressKey),
      extracted.recoveryAddresses.map(addressKey),
    )
  );
}

function sameSet(left: readonly string[], right: readonly string[]): boolean {
  const a = new Set(left);
  const b = new Set(right);
  return a.size === b.size && [...a].every((value) => b.has(value));
}

function withIds(addresses: readonly TraitAddress[]) {
  return addresses.map((address) => ({ id: randomUUID(), ...address }));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
