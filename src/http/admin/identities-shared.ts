import type { Context } from "koa";
import type { Registrar } from "../../app/registrar.ts";
import type { CommandSuccess } from "../../commands/identity-command-handler.ts";
import type { Identity, IdentityCommand } from "../../domain/identity/index.ts";
import { IdentityHistory } from "../../queries/identity-history.ts";
import { toIdentityView } from "../../queries/identity-queries.ts";
import { badRequest } from "../errors.ts";
import { type CredentialType, type IdentityJson, identityToJson } from "../kratos/identity-json.ts";
import { commandContext } from "../request-context.ts";
import { isUuid } from "../uuid.ts";
import { adminActor } from "./api-key-auth.ts";
import { commandFailureToError, identityNotFound } from "./identities-errors.ts";

/** Credential types as Kratos names them. */
export const credentialTypes: readonly CredentialType[] = [
  "password",
  "oidc",
  "totp",
  "lookup_secret",
  "webauthn",
  "code",
  "passkey",
  "saml",
];

// Events after which whoami must stop accepting some session of the identity.
const sessionEndingEventTypes = new Set([
  "SessionRevoked",
  "IdentityDeactivated",
  "IdentityErased",
  "IdentityDeleted",
]);

export { isUuid };

/**
 * Returns the `:id` path parameter as a lower-case UUID. Any other value names no identity, so
 * it gets the same 404 as an unknown id.
 */
export function identityIdParam(ctx: Context): string {
  const id = String(ctx.params.id ?? "");
  if (!isUuid(id)) throw identityNotFound();
  return id.toLowerCase();
}

/**
 * Returns a query parameter that may appear at most once, or undefined when it is absent.
 * Throws a 400 for a repeated parameter, so a filter cannot be half applied, and for a value
 * with a NUL character.
 */
export function singleQueryValue(ctx: Context, name: string): string | undefined {
  const value = ctx.query[name];
  if (Array.isArray(value)) {
    throw badRequest({
      message: `The query parameter ${name} appears more than once.`,
      reason: `Send ${name} at most once.`,
    });
  }
  // PostgreSQL text cannot hold NUL, and no identifier or id contains one.
  if (value?.includes("\0")) {
    throw badRequest({ message: `The query parameter ${name} contains a NUL character.` });
  }
  return value;
}

/** Parses the repeatable `include_credential` query parameter. */
export function includedCredentials(ctx: Context): CredentialType[] {
  const raw = ctx.query.include_credential;
  const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  for (const value of values) {
    if (!credentialTypes.includes(value as CredentialType)) {
      throw badRequest({
        message: `The include_credential value ${JSON.stringify(value.slice(0, 50))} is not a credential type.`,
        reason: `Use one of ${credentialTypes.join(", ")}.`,
      });
    }
  }
  return values as CredentialType[];
}

/** Renders an identity for the admin API: with admin metadata and credentials. */
export function renderAdminIdentity(
  registrar: Registrar,
  identity: Identity,
  includeCredentialConfig: readonly CredentialType[] = [],
): IdentityJson {
  return identityToJson(toIdentityView(identity), {
    publicBaseUrl: registrar.settings.publicUrl,
    audience: "admin",
    includeCredentialConfig,
  });
}

/**
 * Runs an identity command as the API key's admin actor and waits, for at most two seconds
 * each, until the identities read model shows it. When sessions ended, it also waits for the
 * sessions read model and clears this process's whoami cache. A rejected command throws its
 * HTTP error.
 */
export async function executeAdminCommand(
  ctx: Context,
  registrar: Registrar,
  command: IdentityCommand,
): Promise<CommandSuccess> {
  await rejectRemovedIdentity(registrar, command.identityId);
  const outcome = await registrar.identities.execute(command, commandContext(ctx, adminActor(ctx)));
  if (!outcome.ok) throw commandFailureToError(outcome);
  if (!outcome.position) return outcome;

  await registrar.sessions.waitForIdentities(outcome.position);
  if (outcome.events.some((event) => sessionEndingEventTypes.has(event.type))) {
    await registrar.sessions.waitForSessions(outcome.position);
    registrar.sessions.forgetAll();
  }
  return outcome;
}

/** Loads an identity from the read model, or throws the 404. */
export async function findIdentityOrThrow(registrar: Registrar, id: string): Promise<Identity> {
  const identity = await registrar.queries.findIdentity(id);
  if (!identity) throw identityNotFound();
  return identity;
}

/**
 * Folds an identity from its event stream, the source of truth, so a response right after a
 * command does not depend on how far the read model has got. Throws the 404 when the stream has
 * no identity.
 */
export async function loadIdentityOrThrow(registrar: Registrar, id: string): Promise<Identity> {
  await rejectRemovedIdentity(registrar, id);
  const { state } = await registrar.identities.load(id);
  if (state.status !== "existing") throw identityNotFound();
  return state.identity;
}

/**
 * Throws the 404 for an erased or deleted identity before its stream is folded.
 * NOTE: folding such a stream fails today, because evolving the creation event reads its
 * erased credentials as a list. The command handler would then fail with a 500 instead of
 * returning `identity_not_found`. This check costs one stream read per admin command.
 */
async function rejectRemovedIdentity(registrar: Registrar, id: string): Promise<void> {
  const history = new IdentityHistory(registrar.store, registrar.personalData.codec);
  if ((await history.removalOf(id)) !== undefined) throw identityNotFound();
}
