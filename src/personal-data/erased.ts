/**
 * Marker that replaces an encrypted field once its subject's data key is destroyed. It is the
 * string `"[erased]"` and replaces the whole field, whatever its type was, so a traits object
 * becomes this string too. Only encrypted fields are replaced, so read models test with
 * `isErased` at those places and blank or delete the rows they fill from them.
 */
export const ERASED = "[erased]";

export type Erased = typeof ERASED;

/** Returns whether a decrypted field is the erased marker. */
export function isErased(value: unknown): value is Erased {
  return value === ERASED;
}
