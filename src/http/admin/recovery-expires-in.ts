import { badRequest } from "../errors.ts";

/** Longest `expires_in` an administrator may give a recovery code or link: seven days. */
export const maxRecoveryExpiresInMs = 7 * 24 * 3600 * 1000;

const unitMs: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

// Go's time.ParseDuration syntax without sign, as the OpenAPI document's pattern allows it.
const durationPattern = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;
const partPattern = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;

/**
 * Parses `expires_in`, a Go duration such as `1h30m` or `900s`, into milliseconds. Raises 400
 * `bad_request` for another syntax, a zero duration or more than seven days.
 * NOTE: Kratos sets no upper bound; seven days is Registrar's own limit on a live recovery code.
 */
export function parseExpiresIn(value: string): number {
  if (value.length > 100 || !durationPattern.test(value)) {
    throw badRequest({
      message: `The expires_in value ${JSON.stringify(value.slice(0, 100))} is not a duration.`,
      reason: "Send a duration such as 15m, 1h or 1h30m.",
    });
  }

  let totalMs = 0;
  for (const [, amount, unit] of value.matchAll(partPattern)) {
    totalMs += Number(amount) * unitMs[unit!]!;
  }
  if (totalMs < 1 || totalMs > maxRecoveryExpiresInMs) {
    throw badRequest({
      message: `The expires_in value ${value} is outside 1ms to 168h.`,
      reason: "Send a duration of at least 1ms and at most 168h.",
    });
  }
  return Math.floor(totalMs);
}
