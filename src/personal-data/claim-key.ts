import { createHmac, hkdfSync } from "node:crypto";
import { PersonalDataError } from "./errors.ts";

const secretLength = 32;
// Changing the label changes every claim key, which would orphan every stored claim.
const hkdfInfo = "registrar unique-claim hmac v1";

/**
 * Computes blind indexes for unique claims: the event store keeps the HMAC of a normalised
 * email or username, never the value.
 *
 * The HMAC key is derived from a dedicated `claimKeySecret` and not from the master key, so
 * rotating the master key leaves every claim key unchanged. Changing `claimKeySecret` itself
 * changes every claim key, so it must stay fixed for the life of the data.
 */
export class ClaimKeyHasher {
  readonly #hmacKey: Buffer;

  /** Takes the 32-byte claim key secret from configuration. */
  constructor(claimKeySecret: Buffer) {
    if (claimKeySecret.length !== secretLength) {
      throw new PersonalDataError(
        "invalid_master_key",
        `claim key secret must be ${secretLength} bytes, got ${claimKeySecret.length}`,
      );
    }
    this.#hmacKey = Buffer.from(hkdfSync("sha256", claimKeySecret, "", hkdfInfo, 32));
  }

  /**
   * Returns HMAC-SHA-256 of the claim type and the normalised value, in base64url (43
   * characters). The caller normalises, so `Alice@Example.com` and `alice@example.com` must
   * arrive here as one string. The type is part of the input, so one value yields different
   * keys for an email and a username.
   */
  claimKey(type: string, normalisedValue: string): string {
    return createHmac("sha256", this.#hmacKey)
      .update(JSON.stringify([type, normalisedValue]), "utf8")
      .digest("base64url");
  }
}
