import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createSecretKey,
  type KeyObject,
  randomBytes,
} from "node:crypto";
import { PersonalDataError } from "./errors.ts";

const keyLength = 32;
const ivLength = 12;
const tagLength = 16;

/** Master keys from configuration: one current key for wrapping, older ones for unwrapping. */
export interface MasterKeyring {
  /** Id of the key that wraps new and rotated data keys. */
  readonly currentId: string;
  /** Returns the key with this id, or undefined when the keyring does not contain it. */
  find(id: string): KeyObject | undefined;
}

export interface MasterKeyringConfig {
  /** Key of 32 bytes that wraps new data keys and the keys that `rotateMasterKey` re-wraps. */
  current: Buffer;
  /** Keys replaced by `current`, kept only until every data key has been re-wrapped. */
  previous?: readonly Buffer[];
}

/**
 * Derives a master key's id from the first 8 bytes of its SHA-256, in hex. The key has 256 bits
 * of entropy, so the id identifies it without revealing anything usable about it.
 */
export function masterKeyId(key: Buffer): string {
  return createHash("sha256").update(key).digest().subarray(0, 8).toString("hex");
}

/** Builds the keyring, raising `invalid_master_key` on a key that is not 32 bytes or repeats. */
export function createMasterKeyring(config: MasterKeyringConfig): MasterKeyring {
  const keys = new Map<string, KeyObject>();
  for (const key of [config.current, ...(config.previous ?? [])]) {
    if (key.length !== keyLength) {
      throw new PersonalDataError(
        "invalid_master_key",
        `master key must be ${keyLength} bytes, got ${key.length}`,
      );
    }
    const id = masterKeyId(key);
    if (keys.has(id)) {
      throw new PersonalDataError("invalid_master_key", `master key ${id} is listed twice`);
    }
    keys.set(id, createSecretKey(key));
  }

  const currentId = masterKeyId(config.current);
  return { currentId, find: (id) => keys.get(id) };
}

/** A data key as stored: IV, ciphertext and tag, and the id of the master key that wrapped it. */
export interface WrappedDataKey {
  wrappedKey: Buffer;
  masterKeyId: string;
}

/**
 * Wraps a 32-byte data key with AES-256-GCM under the current master key. The subject id is the
 * additional authenticated data, so a wrapped key copied to another subject's row fails to
 * unwrap.
 */
export function wrapDataKey(
  keyring: MasterKeyring,
  subjectId: string,
  dataKey: Buffer,
): WrappedDataKey {
  const iv = randomBytes(ivLength);
  const cipher = createCipheriv("aes-256-gcm", keyring.find(keyring.currentId)!, iv);
  cipher.setAAD(Buffer.from(subjectId, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(dataKey), cipher.final()]);
  return {
    wrappedKey: Buffer.concat([iv, ciphertext, cipher.getAuthTag()]),
    masterKeyId: keyring.currentId,
  };
}

/**
 * Unwraps a data key. Raises `unknown_master_key` when the keyring lacks the wrapping key and
 * `key_unwrap_failed` when the stored bytes fail authentication.
 */
export function unwrapDataKey(
  keyring: MasterKeyring,
  subjectId: string,
  stored: WrappedDataKey,
): Buffer {
  const masterKey = keyring.find(stored.masterKeyId);
  if (!masterKey) {
    throw new PersonalDataError(
      "unknown_master_key",
      `data key of subject ${subjectId} is wrapped under master key ${stored.masterKeyId}, ` +
        "which is not configured. Add it to the previous master keys.",
    );
  }
  if (stored.wrappedKey.length !== ivLength + keyLength + tagLength) {
    throw new PersonalDataError(
      "key_unwrap_failed",
      `wrapped data key of subject ${subjectId} has ${stored.wrappedKey.length} bytes`,
    );
  }

  const iv = stored.wrappedKey.subarray(0, ivLength);
  const tag = stored.wrappedKey.subarray(ivLength + keyLength);
  const decipher = createDecipheriv("aes-256-gcm", masterKey, iv);
  decipher.setAAD(Buffer.from(subjectId, "utf8"));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([
      decipher.update(stored.wrappedKey.subarray(ivLength, ivLength + keyLength)),
      decipher.final(),
    ]);
  } catch (error) {
    throw new PersonalDataError(
      "key_unwrap_failed",
      `wrapped data key of subject ${subjectId} failed authentication`,
      { cause: error },
    );
  }
}
