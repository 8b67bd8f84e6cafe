import type { KeyObject } from "node:crypto";

/** Source of each subject's data key (32 bytes, AES-256-GCM) for the field cipher. */
export interface DataKeyStore {
  /**
   * Returns the subject's data key, creating it on first use. Concurrent first uses, in this
   * process or others, end with one key. Raises `subject_erased` once the key was destroyed.
   */
  getOrCreateKey(subjectId: string): Promise<KeyObject>;

  /** Looks up the keys of these subjects in one read, telling erased subjects from unknown ones. */
  findKeys(subjectIds: readonly string[]): Promise<DataKeyLookup>;
}

/** Result of `findKeys`. A subject in neither collection has no key and was never erased. */
export interface DataKeyLookup {
  keys: Map<string, KeyObject>;
  /** Subjects whose key was destroyed, so their fields read as erased. */
  erased: Set<string>;
}
