const rfc3339 =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(?:Z|[+-](\d{2}):(\d{2}))$/i;

/**
 * Parses an RFC 3339 date-time such as `2025-01-31T12:00:00Z` or `2025-01-31T13:00:00+01:00`.
 * Returns undefined for any other text and for dates that do not exist, such as February 30,
 * which `Date` would otherwise roll over into March. Leap seconds (`:60`) are rejected.
 */
export function parseRfc3339(value: string): Date | undefined {
  const match = rfc3339.exec(value);
  if (!match) return undefined;

  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as number[];
  const offsetHour = match[8] === undefined ? 0 : Number(match[8]);
  const offsetMinute = match[9] === undefined ? 0 : Number(match[9]);
  // setUTCFullYear, unlike Date.UTC, keeps years 0 to 99 as they are.
  const lastDay = new Date(0);
  lastDay.setUTCFullYear(year!, month!, 0);
  const daysInMonth = lastDay.getUTCDate();
  const valid =
    month! >= 1 &&
    month! <= 12 &&
    day! >= 1 &&
    day! <= daysInMonth &&
    hour! <= 23 &&
    minute! <= 59 &&
    second! <= 59 &&
    offsetHour <= 23 &&
    offsetMinute <= 59;
  if (!valid) return undefined;

  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? undefined : time;
}
