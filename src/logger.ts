import pino, { type Logger } from "pino";

/**
 * Paths removed from every log line: credentials in headers and cookies, and fields named like
 * a password, token, code or secret at the top level or one level deep. Deeper fields are not
 * covered, so log lines carry ids, never whole bodies or events.
 */
export const redactedPaths = [
  "req.headers.authorization",
  "req.headers.cookie",
  "req.headers['x-session-token']",
  "req.headers['x-csrf-token']",
  "res.headers['set-cookie']",
  "*.password",
  "*.password_hash",
  "*.hashed_password",
  "*.token",
  "*.session_token",
  "*.code",
  "*.secret",
  "*.api_key",
  "*.csrf_token",
  "password",
  "token",
  "code",
  "secret",
];

/** Creates the JSON logger every component shares. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "registrar" },
      redact: { paths: redactedPaths, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
