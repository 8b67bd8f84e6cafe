/**
 * Stable codes of `PersonalDataError`, for callers to switch on.
 *
 * - `invalid_master_key`: a configured master key or claim key secret is not 32 bytes, or a
 *   master key is listed twice.
 * - `unknown_master_key`: a data key is wrapped under a master key missing from the keyring.
 * - `key_unwrap_failed`: a wrapped data key failed authentication (tampered row or wrong key).
 * - `invalid_subject_id`: a subject id is empty, too long or contains characters other than
 *   letters, digits, `_`, `:` and `-`.
 * - `malformed_ciphertext`: a string with the `pd1.` prefix is not a well-formed field token.
 * - `field_authentication_failed`: a field token was changed, or was read with another event
 *   type, field or subject than it was encrypted with.
 * - `missing_data_key`: a field token names a subject that has no data key and was never erased,
 *   so its subject id was changed or key rows were lost. Never read as an erasure.
 * - `subject_erased`: a data key was requested for a subject whose key was destroyed.
 * - `reserved_prefix`: a plaintext string in an event starts with `pd1.`, so it would be read
 *   back as ciphertext.
 */
export type PersonalDataErrorCode =
  | "invalid_master_key"
  | "unknown_master_key"
  | "key_unwrap_failed"
  | "invalid_subject_id"
  | "malformed_ciphertext"
  | "field_authentication_failed"
  | "missing_data_key"
  | "subject_erased"
  | "reserved_prefix";

/** Error of the personal-data module with a stable code. Messages contain no key or plaintext. */
export class PersonalDataError extends Error {
  override readonly name = "PersonalDataError";

  constructor(
    readonly code: PersonalDataErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
