import { dictionary } from "@zxcvbn-ts/language-common";

let commonPasswords: ReadonlySet<string> | undefined;

/**
 * Reports whether the whole password, lower-cased, is in the common-password dictionary of
 * `@zxcvbn-ts/language-common` (49,233 lower-case entries in version 4.1.3).
 * The set is built on the first call.
 */
export function isCommonPassword(password: string): boolean {
  commonPasswords ??= new Set(dictionary["passwords-common"]);
  return commonPasswords.has(password.toLowerCase());
}
