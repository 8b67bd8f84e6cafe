import type { CommandFailure } from "../../commands/identity-command-handler.ts";
import type { DomainError } from "../../domain/identity/index.ts";
import { badRequest, conflict, notFound, type RegistrarError } from "../errors.ts";
import { passwordPolicyMessage } from "../public/self-service/flow-helpers.ts";

/** Kratos's message for a create or update that collides with another identity (409). */
export const identityConflictMessage =
  "This identity conflicts with another identity that already exists.";

/** Builds the 404 for an identity id that has no identity, or whose identity was removed. */
export function identityNotFound(): RegistrarError {
  return notFound({
    message: "The identity could not be found.",
    reason: "Check the identity id. Erased and deleted identities are not found either.",
  });
}

/** Maps a rejected identity command to the admin API's error. */
export function commandFailureToError(failure: CommandFailure): RegistrarError {
  const { error } = failure;
  if (error.code === "claim_conflict") {
    return conflict({
      message: identityConflictMessage,
      reason: "Another identity already uses one of these identifiers, addresses or external id.",
      details: { claim_type: error.claimType },
    });
  }
  return domainErrorToError(error);
}

function domainErrorToError(error: DomainError): RegistrarError {
  const policy = passwordPolicyMessage(error);
  if (policy) {
    return badRequest({
      message: `The password is not allowed: ${policy.text}`,
      reason: "Choose another password and retry.",
      details: { message_id: policy.id, violation: error.code },
    });
  }

  switch (error.code) {
    case "identity_not_found":
      return identityNotFound();
    case "identity_already_exists":
      return conflict({
        message: identityConflictMessage,
        details: { identity_id: error.identityId },
      });
    case "identity_inactive":
      return conflict({
        message: "The identity is inactive.",
        reason: "Activate the identity first.",
      });
    case "credential_changed":
      return conflict({ message: "The password was changed by another request." });
    case "session_not_found":
      return notFound({ message: "The session could not be found." });
    case "session_already_exists":
      return conflict({ message: "A session with this id already exists." });
    case "session_inactive":
      return conflict({ message: `The session is already ${error.reason}.` });
    case "address_not_found":
      return notFound({
        message: `The identity has no verifiable ${error.via} address with this value.`,
      });
    case "identifier_invalid":
      return badRequest({
        message: `The value of ${error.field} is ${error.reason === "empty" ? "empty" : "too long"}.`,
        reason: `Send a non-empty value of at most ${error.maxLength} characters.`,
        details: { field: error.field },
      });
    case "credential_missing":
      return badRequest({ message: "The identity needs a credential to sign in with." });
    case "credential_identifier_missing":
      return badRequest({
        message: `The ${error.credentialType} credential needs an identifier from the traits.`,
        reason: "Mark a trait as an identifier of this credential in the identity schema.",
      });
    case "invalid_argument":
      return badRequest({
        message: `The value of ${error.field} is invalid: ${error.reason}.`,
        details: { field: error.field },
      });
    default:
      return badRequest({ details: { code: error.code } });
  }
}
