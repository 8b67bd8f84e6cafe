import type { RawConfig } from "../config/config.ts";

/** Settings derived from configuration that request handlers use. */
export interface Settings {
  /** Base URL of the public port, without a trailing slash. */
  publicUrl: string;
  development: boolean;
  sessionLifespanMs: number;
  privilegedSessionMaxAgeMs: number;
  flowLifespanMs: number;
  codeLifespanMs: number;
  /** Maximum number of sessions that one wildcard call of `POST /admin/sessions` revokes. */
  manageSessionsBatchSize: number;
}

export function resolveSettings(config: RawConfig): Settings {
  const publicUrl = config.PUBLIC_URL ?? `http://127.0.0.1:${config.PUBLIC_PORT}`;
  return {
    publicUrl: publicUrl.replace(/\/+$/, ""),
    development: config.REGISTRAR_ENV !== "production",
    sessionLifespanMs: config.SESSION_LIFESPAN_SECONDS * 1000,
    privilegedSessionMaxAgeMs: config.PRIVILEGED_SESSION_MAX_AGE_SECONDS * 1000,
    flowLifespanMs: config.FLOW_LIFESPAN_SECONDS * 1000,
    codeLifespanMs: config.CODE_LIFESPAN_SECONDS * 1000,
    manageSessionsBatchSize: config.MANAGE_SESSIONS_BATCH_SIZE,
  };
}
