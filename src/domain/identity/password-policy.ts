import { isCommonPassword } from "./common-passwords.ts";
import type { PasswordPolicyViolation } from "./errors.ts";
import { countCodePoints } from "./identifier.ts";
import { isPasswordSimilarToIdentifier } from "./password-similarity.ts";

/** Rules a new password must meet. There are no composition rules (NIST SP 800-63B). */
export interface PasswordPolicy {
  /** Minimum length in Unicode code points. */
  minLength: number;
  /** Maximum length in code points; it bounds the hashing cost. */
  maxLength: number;
  /** Rejects passwords too similar to any identifier of the identity. */
  identifierSimilarityCheck: boolean;
  /** Rejects passwords found in the common-password dictionary. */
  commonPasswordCheck: boolean;
}

/**
 * Defaults: at least 8 code points, the minimum of OWASP ASVS 5.0 (6.2.1). Operators can raise it
 * to 15 for passwords used as the only factor, as NIST SP 800-63B Rev. 4 advises. At most 1,024,
 * well above the 64 that both standards require to be accepted.
 */
export const defaultPasswordPolicy: Readonly<PasswordPolicy> = Object.freeze({
  minLength: 8,
  maxLength: 1024,
  identifierSimilarityCheck: true,
  commonPasswordCheck: true,
});

/**
 * Checks a new password exactly as typed against the policy and returns the first violation,
 * or null when it passes. Checks run in this order: too short, too long, too similar to one of
 * `identifiers`, common. A breached-password lookup is separate because it needs the network.
 */
export function checkPasswordPolicy(
  password: string,
  identifiers: readonly string[],
  policy: Readonly<PasswordPolicy> = defaultPasswordPolicy,
): PasswordPolicyViolation | null {
  const length = countCodePoints(password);
  if (length < policy.minLength) {
    return { code: "password_too_short", minLength: policy.minLength, actualLength: length };
  }
  if (length > policy.maxLength) {
    return { code: "password_too_long", maxLength: policy.maxLength, actualLength: length };
  }

  if (
    policy.identifierSimilarityCheck &&
    identifiers.some((identifier) => isPasswordSimilarToIdentifier(password, identifier))
  ) {
    return { code: "password_too_similar_to_identifier" };
  }

  if (policy.commonPasswordCheck && isCommonPassword(password)) {
    return { code: "password_too_common" };
  }
  return null;
}
