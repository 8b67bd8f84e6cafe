/** Shortest identifier, or identifier local part, whose presence in a password counts as reuse. */
const minReusedLength = 4;

/** Share of the password's length above which a common substring makes it too similar. */
const maxSharedRatio = 0.5;

/**
 * Reports whether a password is too similar to an identifier. Both are compared as code points
 * after NFKC and lower-casing. The password is too similar when any of these holds:
 *
 * - the identifier contains the whole password;
 * - the password contains the identifier, or the local part before the last `@` of an email
 *   identifier, when that part has at least 4 code points;
 * - the longest common substring of password and identifier has at least 4 code points and
 *   covers more than half of the password, the threshold Kratos uses.
 */
export function isPasswordSimilarToIdentifier(password: string, identifier: string): boolean {
  const candidate = fold(password);
  const subject = fold(identifier);
  if (candidate.length === 0 || subject.length === 0) {
    return false;
  }

  if (subject.join("").includes(candidate.join(""))) {
    return true;
  }
  if (containsReusedPart(candidate.join(""), subject)) {
    return true;
  }

  const shared = longestCommonSubstringLength(candidate, subject);
  return shared >= minReusedLength && shared / candidate.length > maxSharedRatio;
}

function containsReusedPart(password: string, identifier: string[]): boolean {
  const at = identifier.lastIndexOf("@");
  const parts = at > 0 ? [identifier, identifier.slice(0, at)] : [identifier];
  return parts.some((part) => part.length >= minReusedLength && password.includes(part.join("")));
}

/**
 * Returns the length in code points of the longest common substring. The dynamic programming
 * keeps two rows and takes |a|·|b| steps: 327,680 for a 1,024-character password and a
 * 320-character identifier.
 */
export function longestCommonSubstringLength(a: readonly string[], b: readonly string[]): number {
  let previous = new Array<number>(b.length + 1).fill(0);
  let longest = 0;
  for (let i = 1; i <= a.length; i += 1) {
    const current = new Array<number>(b.length + 1).fill(0);
    for (let j = 1; j <= b.length; j += 1) {
      if (a[i - 1] === b[j - 1]) {
        const length = previous[j - 1]! + 1;
        current[j] = length;
        longest = Math.max(longest, length);
      }
    }
    previous = current;
  }
  return longest;
}

function fold(value: string): string[] {
  return Array.from(value.normalize("NFKC").toLowerCase());
}
