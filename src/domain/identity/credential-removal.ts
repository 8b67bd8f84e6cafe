import type { CredentialType, Identity } from "./model.ts";

/**
 * Credential types that sign an identity in on their own. NOTE: Kratos also counts passwordless
 * WebAuthn keys and codes when code login is enabled, and Registrar has neither yet.
 */
export const firstFactorCredentialTypes: readonly CredentialType[] = [
  "password",
  "oidc",
  "saml",
  "passkey",
];

/** Credential types that Kratos's admin API does not delete. */
export const unremovableCredentialTypes: readonly CredentialType[] = ["code", "passkey"];

/** Reason that an administrator may not delete a credential. */
export type CredentialRemovalRejection =
  | { code: "credential_not_removable"; credentialType: CredentialType }
  /** The identity has no credential of the type, or only identifiers without a configuration. */
  | { code: "credential_not_found"; credentialType: CredentialType }
  /** Deleting it would leave the identity no first-factor credential to sign in with. */
  | { code: "credential_last_first_factor"; credentialType: CredentialType };

/**
 * Checks whether an administrator may delete the identity's credential of `type`, by Kratos's
 * rules for `DELETE /admin/identities/{id}/credentials/{type}`: code and passkey credentials are
 * never deleted this way, the credential must be set up, and the last first-factor credential
 * stays. Returns null when the deletion is allowed.
 */
export function checkCredentialRemoval(
  identity: Identity,
  type: CredentialType,
): CredentialRemovalRejection | null {
  if (unremovableCredentialTypes.includes(type)) {
    return { code: "credential_not_removable", credentialType: type };
  }
  if (!isCredentialSetUp(identity, type)) {
    return { code: "credential_not_found", credentialType: type };
  }
  if (!firstFactorCredentialTypes.includes(type)) {
    return null;
  }

  const otherFirstFactors = firstFactorCredentialTypes.filter(
    (other) => other !== type && isCredentialSetUp(identity, other),
  );
  if (otherFirstFactors.length === 0) {
    return { code: "credential_last_first_factor", credentialType: type };
  }
  return null;
}

/**
 * Reports whether the identity has a usable credential of `type`. The identity schema gives a
 * type identifiers with an empty configuration before any method sets it up, and a password
 * credential has no hash until a password is set.
 */
export function isCredentialSetUp(identity: Identity, type: CredentialType): boolean {
  if (type === "password") {
    return Boolean(identity.credentials.password?.config.hashedPassword);
  }
  const credential = identity.credentials[type];
  return credential !== undefined && Object.keys(credential.config).length > 0;
}
