import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import type { Logger } from "pino";
import { type RunningRegistrar, startRegistrar } from "../../src/app/start.ts";
import { parseConfig } from "../../src/config/config.ts";
import { type Argon2Parameters, testArgon2Parameters } from "../../src/credential/index.ts";
import { createLogger } from "../../src/logger.ts";
import { createTestDatabase, type TestDatabase } from "./database.ts";

/** A whole Registrar on its own database, which the test app helpers build on. */
export interface RegistrarForTest {
  running: RunningRegistrar;
  database: TestDatabase;
  /** The public base URL that flows and links carry. */
  publicUrl: string;
  adminUrl: string;
  /** The bootstrap admin API key, with every scope. */
  adminKey: string;
  /** Every log line the app wrote, as raw JSON text. */
  logs: string[];
  /** Stops Registrar and drops its database. */
  close(): Promise<void>;
}

export interface RegistrarTestOptions {
  /** Configuration keys that replace the test defaults of `testConfig`. */
  env?: Record<string, string>;
  /** Argon2id cost, or the cheap test parameters when omitted. */
  hasherParameters?: Argon2Parameters;
  /** Builds the logger at `LOG_LEVEL` over the capture stream, or Registrar's own when omitted. */
  createLogger?: (level: string, destination: Writable) => Logger;
}

/**
 * Starts a whole Registrar on free ports against a fresh database, with explicit secrets, a
 * cheap password hasher and every log line captured at debug level unless `env` sets `LOG_LEVEL`.
 */
export async function startRegistrarForTest(
  label: string,
  options: RegistrarTestOptions = {},
): Promise<RegistrarForTest> {
  const database = await createTestDatabase(label);
  const adminKey = options.env?.ADMIN_API_KEY ?? randomBytes(32).toString("base64url");
  const config = parseConfig({ ...testConfig(database.url, adminKey), ...options.env });

  const logs: string[] = [];
  const capture = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const logger = (options.createLogger ?? createLogger)(config.LOG_LEVEL, capture);
  const running = await startRegistrar(config, logger, {
    hasherParameters: options.hasherParameters ?? testArgon2Parameters,
  });

  return {
    running,
    database,
    publicUrl: running.registrar.settings.publicUrl,
    adminUrl: `http://127.0.0.1:${running.adminPort}`,
    adminKey,
    logs,
    async close() {
      await running.stop();
      await database.drop();
    },
  };
}

function testConfig(databaseUrl: string, adminKey: string): Record<string, string> {
  return {
    REGISTRAR_ENV: "test",
    DATABASE_URL: databaseUrl,
    PUBLIC_PORT: "0",
    ADMIN_PORT: "0",
    MASTER_KEY: randomBytes(32).toString("base64"),
    CLAIM_KEY_SECRET: randomBytes(32).toString("base64"),
    ADMIN_API_KEY: adminKey,
    LOG_LEVEL: "debug",
    // The SMTP capture server takes a free port, and queued mail jobs stay in this app's queue.
    COURIER_CAPTURE_PORT: "0",
    COURIER_QUEUE_PREFIX: `test_${randomBytes(6).toString("hex")}`,
    COURIER_BACKOFF_MS: "50",
  };
}
