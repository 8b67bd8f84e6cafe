import type { Context } from "koa";
import type { Registrar } from "../../app/registrar.ts";
import {
  type CredentialRemovalRejection,
  type CredentialType,
  checkCredentialRemoval,
} from "../../domain/identity/index.ts";
import { badRequest, internalServerError, notFound, type RegistrarError } from "../errors.ts";
import {
  credentialTypes,
  identityIdParam,
  loadIdentityOrThrow,
  singleQueryValue,
} from "./identities-shared.ts";

// Kratos's other values of the `type` path parameter. No identity has a credential of these.
const typesWithoutCredentials = [
  "profile",
  "deviceauthn",
  "identifier_first",
  "link_recovery",
  "code_recovery",
];
const knownTypes: readonly string[] = [...credentialTypes, ...typesWithoutCredentials];

/**
 * `DELETE /admin/identities/{id}/credentials/{type}?identifier=`: deletes a credential with
 * Kratos's rules, or rejects the request. An unknown type is a 400, a type the identity has not
 * set up a 404, code and passkey credentials and the last first-factor credential are 400s.
 */
export function deleteCredential(registrar: Registrar) {
  return async function deleteCredentialRoute(ctx: Context) {
    const identityId = identityIdParam(ctx);
    const type = credentialTypeParam(ctx);
    // NOTE: `identifier` selects the provider link of an oidc or saml credential, or the key of a
    // deviceauthn one. Registrar identities cannot have these yet, so it is read only so that a
    // repeated value is rejected.
    singleQueryValue(ctx, "identifier");
    const identity = await loadIdentityOrThrow(registrar, identityId);
    if (!credentialTypes.includes(type as CredentialType)) throw credentialNotFound(type);

    const rejection = checkCredentialRemoval(identity, type as CredentialType);
    if (rejection) throw rejectionToError(rejection);

    // NOTE: no event removes a credential yet. Only a password can be set up today, and it is
    // always the last first factor, so a request reaches this line only once a second credential
    // type can be set up.
    throw internalServerError(new Error(`deleting a ${type} credential is not implemented`));
  };
}

function credentialTypeParam(ctx: Context): string {
  const type = String(ctx.params.type ?? "");
  if (knownTypes.includes(type)) return type;

  throw badRequest({
    message: `The credential type ${JSON.stringify(type.slice(0, 50))} is unknown.`,
    reason: `Use one of ${knownTypes.join(", ")}.`,
  });
}

function rejectionToError(rejection: CredentialRemovalRejection): RegistrarError {
  const type = rejection.credentialType;
  switch (rejection.code) {
    case "credential_not_removable":
      return badRequest({
        message: `Credentials of type ${type} cannot be deleted through the admin API.`,
        reason:
          "Code and passkey credentials are not deletable. Delete a credential of another type.",
      });
    case "credential_not_found":
      return credentialNotFound(type);
    case "credential_last_first_factor":
      return badRequest({
        message: `The ${type} credential is the identity's only first-factor credential, so it cannot be deleted.`,
        reason: "Set up another first-factor credential for the identity first.",
      });
  }
}

function credentialNotFound(type: string): RegistrarError {
  return notFound({
    message: `The identity has no ${type} credential set up.`,
    reason:
      "Check the credential type. Identifiers from the identity schema alone do not make a credential.",
  });
}
