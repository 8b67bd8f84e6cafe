import { createHash } from "node:crypto";

/** Reason a breach check returned no result. */
export type BreachCheckFailure =
  | "timeout"
  | "network_error"
  | "unexpected_status"
  | "invalid_response";

/**
 * Result of a breach check. The check fails open: when the lookup fails, the password counts as
 * not breached and `failure` names the reason, so the caller can log it.
 */
export type BreachCheckResult =
  | { breached: true; count: number }
  | { breached: false; failure?: BreachCheckFailure };

/** Looks up whether a password appears in a set of breached passwords. */
export interface BreachedPasswordChecker {
  check(password: string): Promise<BreachCheckResult>;
}

/** A checker that never looks anything up; the default while breach checks are off. */
export const disabledBreachedPasswordChecker: BreachedPasswordChecker = Object.freeze({
  check: async (): Promise<BreachCheckResult> => ({ breached: false }),
});

/** Settings of the Have I Been Pwned range checker. */
export interface HibpCheckerOptions {
  /** Base URL of the range API; `https://api.pwnedpasswords.com` when omitted. */
  baseUrl?: string;
  /** Time limit for one lookup in milliseconds; 2,000 when omitted. */
  timeoutMs?: number;
  /** Counts up to this many occurrences are allowed, as Kratos's `max_breaches`; 0 when omitted. */
  maxBreaches?: number;
  /** Maximum response body size read, in bytes; 1 MiB when omitted. */
  maxResponseBytes?: number;
}

/**
 * Checks passwords against the Have I Been Pwned range API with k-anonymity: only the first
 * 5 hex digits of the password's SHA-1 leave the process, and the suffix is matched locally.
 * Requests ask for padded responses so their size does not hint at the prefix.
 */
export class HibpBreachedPasswordChecker implements BreachedPasswordChecker {
  readonly #rangeUrl: URL;
  readonly #timeoutMs: number;
  readonly #maxBreaches: number;
  readonly #maxResponseBytes: number;

  /** Raises a `TypeError` when `baseUrl` is not an http or https URL. */
  constructor(options: HibpCheckerOptions = {}) {
    const base = new URL(options.baseUrl ?? "https://api.pwnedpasswords.com");
    if (base.protocol !== "https:" && base.protocol !== "http:") {
      throw new TypeError(`breached password API URL must use http or https: ${base.origin}`);
    }
    this.#rangeUrl = new URL("range/", base.href.endsWith("/") ? base : `${base.href}/`);
    this.#timeoutMs = options.timeoutMs ?? 2_000;
    this.#maxBreaches = options.maxBreaches ?? 0;
    this.#maxResponseBytes = options.maxResponseBytes ?? 1024 * 1024;
  }

  /** Looks the password up by the prefix of its SHA-1 and returns its breach count. */
  async check(password: string): Promise<BreachCheckResult> {
    const digest = createHash("sha1").update(password, "utf8").digest("hex").toUpperCase();
    const prefix = digest.slice(0, 5);
    const suffix = digest.slice(5);

    const body = await this.#fetchRange(prefix);
    if (typeof body !== "string") {
      return { breached: false, failure: body.failure };
    }
    const count = findSuffixCount(body, suffix);
    if (count === null) {
      return { breached: false, failure: "invalid_response" };
    }
    return count > this.#maxBreaches ? { breached: true, count } : { breached: false };
  }

  async #fetchRange(prefix: string): Promise<string | { failure: BreachCheckFailure }> {
    const signal = AbortSignal.timeout(this.#timeoutMs);
    try {
      const response = await fetch(new URL(prefix, this.#rangeUrl), {
        headers: { "Add-Padding": "true", "User-Agent": "registrar" },
        redirect: "error",
        signal,
      });
      if (response.status !== 200) {
        await response.body?.cancel();
        return { failure: "unexpected_status" };
      }
      const body = await readLimited(response, this.#maxResponseBytes);
      return body ?? { failure: "invalid_response" };
    } catch {
      return { failure: signal.aborted ? "timeout" : "network_error" };
    }
  }
}

/** Reads a response body as text, or returns null once it exceeds `maxBytes`. */
async function readLimited(response: Response, maxBytes: number): Promise<string | null> {
  if (!response.body) {
    return "";
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    total += read.value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      return null;
    }
    chunks.push(read.value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Finds the count of a hash suffix in a range response of `SUFFIX:COUNT` lines. Padding lines
 * have a count of 0. Returns 0 when the suffix is absent and null for a line that does not parse.
 */
function findSuffixCount(body: string, suffix: string): number | null {
  let found = 0;
  for (const line of body.split(/\r?\n/)) {
    if (line.trim() === "") continue;
    const match = /^([0-9A-Fa-f]{35}):(\d{1,12})$/.exec(line.trim());
    if (!match) {
      return null;
    }
    if (match[1]!.toUpperCase() === suffix) {
      found = Number(match[2]);
    }
  }
  return found;
}
