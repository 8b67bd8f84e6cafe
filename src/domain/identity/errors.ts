import type { AddressChannel, CredentialType } from "./model.ts";

/**
 * Reasons a password is rejected. The HTTP layer maps them to Kratos messages: too similar
 * 4000031, too short 4000032, too long 4000033, common or breached 4000034.
 */
export type PasswordPolicyViolation =
  | { code: "password_too_short"; minLength: number; actualLength: number }
  | { code: "password_too_long"; maxLength: number; actualLength: number }
  | { code: "password_too_similar_to_identifier" }
  | { code: "password_too_common" }
  /** Produced by the command layer when a `BreachedPasswordChecker` finds the password. */
  | { code: "password_breached"; breaches: number };

/** A rejected identity command. Callers switch on `code`; the other fields give the details. */
export type DomainError =
  | PasswordPolicyViolation
  /** The stream has no identity, or its identity was erased or deleted. */
  | { code: "identity_not_found"; identityId: string }
  | { code: "identity_already_exists"; identityId: string }
  | { code: "identity_inactive"; identityId: string }
  /** A normalized identifier or address is empty or longer than `maxLength` code points. */
  | { code: "identifier_invalid"; field: string; reason: "empty" | "too_long"; maxLength: number }
  /** A registration that brings no credential to sign in with. */
  | { code: "credential_missing" }
  /** A credential that needs identifiers (password) got none from the schema. */
  | { code: "credential_identifier_missing"; credentialType: CredentialType }
  /** The password a login verified was replaced before its session was issued. */
  | { code: "credential_changed"; identityId: string }
  | { code: "session_not_found"; sessionId: string }
  | { code: "session_already_exists"; sessionId: string }
  | { code: "session_inactive"; sessionId: string; reason: "revoked" | "expired" }
  | { code: "address_not_found"; via: AddressChannel }
  /** A field that breaks a rule no other code covers, such as an expiry before the issue time. */
  | { code: "invalid_argument"; field: string; reason: string };

/** Code of any `DomainError`. */
export type DomainErrorCode = DomainError["code"];

/** Reports whether a result, such as a `Decision`, is a `DomainError`. */
export function isDomainError<T extends object>(result: T | DomainError): result is DomainError {
  return "code" in result && typeof result.code === "string";
}
