import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { type RunningRegistrar, startRegistrar } from "../../src/app/start.ts";
import { parseConfig } from "../../src/config/config.ts";
import { testArgon2Parameters } from "../../src/credential/index.ts";
import { createLogger } from "../../src/logger.ts";
import { createTestDatabase, type TestDatabase } from "./database.ts";

export interface TestApp extends RunningRegistrar {
  database: TestDatabase;
  publicUrl: string;
  adminUrl: string;
  /** The bootstrap admin API key, with every scope. */
  adminKey: string;
  /** Every log line the app wrote, as raw JSON text. */
  logs: string[];
  close(): Promise<void>;
}

/**
 * Starts a whole Registrar on free ports against a fresh database, with cheap password hashing
 * and every log line captured at debug level.
 */
export async function startTestApp(
  label: string,
  env: Record<string, string> = {},
): Promise<TestApp> {
  const database = await createTestDatabase(label);
  const adminKey = randomBytes(32).toString("base64url");
  const logs: string[] = [];
  const capture = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const config = parseConfig({
    DATABASE_URL: database.url,
    PUBLIC_PORT: "0",
    ADMIN_PORT: "0",
    MASTER_KEY: randomBytes(32).toString("base64"),
    CLAIM_KEY_SECRET: randomBytes(32).toString("base64"),
    ADMIN_API_KEY: adminKey,
    REGISTRAR_ENV: "test",
    LOG_LEVEL: "debug",
    COURIER_CAPTURE_PORT: "0",
    COURIER_QUEUE_PREFIX: `test_${randomBytes(6).toString("hex")}`,
    COURIER_BACKOFF_MS: "50",
    ...env,
  });
  const running = await startRegistrar(config, createLogger("debug", capture), {
    hasherParameters: testArgon2Parameters,
  });
  return {
    ...running,
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
