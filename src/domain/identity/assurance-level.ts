import type { Timestamp } from "../event.ts";
import type { CredentialType } from "./model.ts";

/** Authenticator assurance level as NIST SP 800-63B and Kratos name them. */
export type AuthenticatorAssuranceLevel = "aal0" | "aal1" | "aal2" | "aal3";

/** Method a session was authenticated with; recovery signs an identity in without a credential. */
export type AuthenticationMethodType = CredentialType | "link_recovery" | "code_recovery";

/** A completed authentication step of a session, an entry of Kratos's `authentication_methods`. */
export interface AuthenticationMethod {
  method: AuthenticationMethodType;
  aal: AuthenticatorAssuranceLevel;
  completedAt: Timestamp;
  /** OIDC or SAML provider id. */
  provider?: string;
}

/** Federated methods whose provider asserted a second factor count as both factors. */
const federatedMethods: ReadonlySet<AuthenticationMethodType> = new Set(["oidc", "saml"]);

/**
 * Computes a session's assurance level from its completed methods, following Kratos: `aal2`
 * needs a first-factor method and a second-factor method, where an `aal2` OIDC or SAML login
 * counts as both. Any other non-empty list is `aal1`, and an empty list is `aal0`.
 */
export function sessionAssuranceLevel(
  methods: readonly AuthenticationMethod[],
): AuthenticatorAssuranceLevel {
  if (methods.length === 0) {
    return "aal0";
  }

  let firstFactor = false;
  let secondFactor = false;
  for (const method of methods) {
    if (method.aal === "aal1") {
      firstFactor = true;
    }
    if (method.aal === "aal2") {
      secondFactor = true;
      firstFactor ||= federatedMethods.has(method.method);
    }
  }

  return firstFactor && secondFactor ? "aal2" : "aal1";
}
