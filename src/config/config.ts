import { z } from "zod";
import { courierConfigSchema } from "../courier/courier-config.ts";

const base64Key = (name: string) =>
  z
    .string()
    .refine((value) => Buffer.from(value, "base64").length === 32, {
      message: `${name} must be 32 bytes encoded as base64`,
    })
    .transform((value) => Buffer.from(value, "base64"));

const port = z.coerce.number().int().min(0).max(65_535);
const seconds = z.coerce.number().int().positive();

/** Every setting Registrar reads from the environment, parsed once at start. */
const coreConfigSchema = z.object({
  REGISTRAR_ENV: z.enum(["development", "production", "test"]).default("development"),
  DATABASE_URL: z.url().default("postgres://postgres@127.0.0.1:5432/registrar"),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(2).max(500).default(20),
  /**
   * Maximum run time of one SQL statement, in ms. A statement stuck behind a lock or a lost
   * connection fails after it, instead of holding its request and the identity's queued
   * commands forever.
   */
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  REDIS_URL: z.url().default("redis://127.0.0.1:6379"),
  /** Unset: an SMTP capture server runs in the same process. */
  SMTP_URL: z.url().optional(),
  SMTP_FROM: z.string().min(3).default("Registrar <no-reply@registrar.local>"),
  KURRENTDB_URL: z.string().optional(),
  HOST: z.string().default("127.0.0.1"),
  PUBLIC_PORT: port.default(4433),
  ADMIN_PORT: port.default(4434),
  /** Base URL of the public port as clients reach it; flows' `ui.action` links start with it. */
  PUBLIC_URL: z.url().optional(),
  /** A bootstrap admin API key with every scope. Only its SHA-256 is kept in memory. */
  ADMIN_API_KEY: z.string().min(32).optional(),
  /** More admin API keys as JSON: `[{"id":"ops","sha256":"<hex>","scopes":["identities:read"]}]`. */
  ADMIN_API_KEYS: z.string().optional(),
  MASTER_KEY: base64Key("MASTER_KEY").optional(),
  /** Earlier master keys, comma-separated base64, kept readable during rotation. */
  PREVIOUS_MASTER_KEYS: z.string().optional(),
  /** Secret for the HMAC of unique claims. Changing it orphans every claim, so never rotate it. */
  CLAIM_KEY_SECRET: base64Key("CLAIM_KEY_SECRET").optional(),
  /** Identity schemas as JSON: `[{"id":"default","url":"file://..."}]`. */
  IDENTITY_SCHEMAS: z.string().optional(),
  DEFAULT_SCHEMA_ID: z.string().default("default"),
  SESSION_LIFESPAN_SECONDS: seconds.default(24 * 3600),
  PRIVILEGED_SESSION_MAX_AGE_SECONDS: seconds.default(3600),
  FLOW_LIFESPAN_SECONDS: seconds.default(3600),
  CODE_LIFESPAN_SECONDS: seconds.default(15 * 60),
  /**
   * Maximum number of sessions that one wildcard call of `POST /admin/sessions`
   * (`identities: ["*"]`) revokes. The response's `more` is true while more may remain, so the
   * caller repeats the call until it is false.
   */
  MANAGE_SESSIONS_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(1000),
  /** Argon2id parameters; the defaults follow OWASP's password storage guidance. */
  ARGON2_MEMORY_KIB: z.coerce.number().int().min(1024).default(19_456),
  ARGON2_ITERATIONS: z.coerce.number().int().min(1).default(2),
  ARGON2_PARALLELISM: z.coerce.number().int().min(1).default(1),
  /** Base URL of a HaveIBeenPwned-compatible range API; unset turns the check off. */
  BREACHED_PASSWORD_API: z.url().optional(),
  COURIER_TEMPLATES_DIR: z.string().optional(),
  /** Runs the projection runner and courier workers in this process. */
  RUN_PROJECTIONS: z.stringbool().default(true),
  RUN_WORKERS: z.stringbool().default(true),
  /** Whether the verification flow is offered and each new address gets a code by mail. */
  VERIFICATION_ENABLED: z.stringbool().default(true),
  /** Whether the recovery flow and the admin recovery codes and links are offered. */
  RECOVERY_ENABLED: z.stringbool().default(true),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  LOGIN_ATTEMPTS_PER_IDENTIFIER: z.coerce.number().int().min(1).default(10),
  LOGIN_ATTEMPTS_PER_IP: z.coerce.number().int().min(1).default(100),
  /** Window of the login throttles above. */
  LOGIN_THROTTLE_WINDOW_SECONDS: seconds.default(15 * 60),
  /** Registration attempts per client IP within `REGISTRATION_THROTTLE_WINDOW_SECONDS`. */
  REGISTRATIONS_PER_IP: z.coerce.number().int().min(1).default(100),
  REGISTRATION_THROTTLE_WINDOW_SECONDS: seconds.default(10 * 60),
  /**
   * Settings submits that change an identity's identifiers or addresses, per identity within
   * `IDENTIFIER_CHANGE_WINDOW_SECONDS`. Each may return 4000007 ("taken"), so this also bounds
   * how fast a signed-in user can test whether addresses are registered.
   */
  IDENTIFIER_CHANGES_PER_IDENTITY: z.coerce.number().int().min(1).default(10),
  IDENTIFIER_CHANGE_WINDOW_SECONDS: seconds.default(60 * 60),
  /** Days security log rows (failed logins, with IP and user agent) are kept. */
  SECURITY_LOG_RETENTION_DAYS: z.coerce.number().int().min(1).default(90),
});

/** Core settings and the courier's `COURIER_*` settings in one schema. */
export const configSchema = coreConfigSchema.extend(courierConfigSchema.shape);

export type RawConfig = z.infer<typeof configSchema>;

/** Raised when a setting is invalid; its message names the key and what is wrong with it. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** Parses the environment; the first invalid key stops start-up with its name. */
export function parseConfig(env: Record<string, string | undefined>): RawConfig {
  const result = configSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join(".") || "(environment)"}: ${issue.message}`,
    );
    throw new ConfigError(`invalid configuration: ${problems.join("; ")}`);
  }
  return result.data;
}
