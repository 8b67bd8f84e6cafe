import { ERASED, type Erased } from "./erased.ts";
import { PersonalDataError } from "./errors.ts";
import { type FieldToken, openField, parseFieldToken, sealField } from "./field-token.ts";
import type { DataKeyLookup, DataKeyStore } from "./key-store.ts";

/**
 * Encrypts single personal fields under their subject's data key.
 *
 * `field` names where the value sits in the event, as a dotted path from the event's root:
 * `data.traits`, `data.credential.secret`, `metadata.source.ip`. The event codec derives the same
 * path when it decrypts, so a token moved to another place fails authentication.
 */
export class FieldCipher {
  readonly #keys: DataKeyStore;

  constructor(keys: DataKeyStore) {
    this.#keys = keys;
  }

  /**
   * Encrypts a JSON-serialisable value into a `pd1.` token, creating the subject's data key on
   * first use. Raises `subject_erased` for an erased subject.
   */
  async encryptField(
    subjectId: string,
    eventType: string,
    field: string,
    value: unknown,
  ): Promise<string> {
    const key = await this.#keys.getOrCreateKey(subjectId);
    return sealField(key, subjectId, eventType, field, value);
  }

  /**
   * Decrypts a `pd1.` token, or returns `ERASED` when its subject's key was destroyed. Raises
   * `malformed_ciphertext`, `field_authentication_failed` or `missing_data_key`.
   */
  async decryptField(eventType: string, field: string, token: string): Promise<unknown | Erased> {
    const parsed = parseFieldToken(token);
    const lookup = await this.#keys.findKeys([parsed.subjectId]);
    return openFieldFromLookup(lookup, parsed, eventType, field);
  }
}

/** Decrypts a parsed token with a key from `lookup`, or returns `ERASED` for an erased subject. */
export function openFieldFromLookup(
  lookup: DataKeyLookup,
  token: FieldToken,
  eventType: string,
  field: string,
): unknown | Erased {
  const key = lookup.keys.get(token.subjectId);
  if (key) return openField(key, token, eventType, field);
  if (lookup.erased.has(token.subjectId)) return ERASED;

  throw new PersonalDataError(
    "missing_data_key",
    `encrypted ${eventType} ${field} names subject ${token.subjectId}, which has no data key ` +
      "and was never erased",
  );
}
