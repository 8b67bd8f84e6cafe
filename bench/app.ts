import { randomBytes } from "node:crypto";
import { type RunningRegistrar, startRegistrar } from "../src/app/start.ts";
import { parseConfig } from "../src/config/config.ts";
import { createLogger } from "../src/logger.ts";
import type { BenchDatabase } from "./harness.ts";

/** Starts Registrar on free ports against a benchmark database, logging only errors. */
export async function startBenchApp(
  database: BenchDatabase,
  env: Record<string, string> = {},
): Promise<RunningRegistrar & { publicUrl: string; adminUrl: string; adminKey: string }> {
  const adminKey = randomBytes(32).toString("base64url");
  const config = parseConfig({
    DATABASE_URL: database.url,
    PUBLIC_PORT: "0",
    ADMIN_PORT: "0",
    MASTER_KEY: randomBytes(32).toString("base64"),
    CLAIM_KEY_SECRET: randomBytes(32).toString("base64"),
    ADMIN_API_KEY: adminKey,
    LOG_LEVEL: "error",
    REGISTRAR_ENV: "production",
    LOGIN_ATTEMPTS_PER_IP: "1000000",
    REGISTRATIONS_PER_IP: "1000000",
    COURIER_CAPTURE_PORT: "0",
    COURIER_QUEUE_PREFIX: `bench_${randomBytes(6).toString("hex")}`,
    COURIER_SENDS_PER_IP: "1000000",
    ...env,
  });
  const running = await startRegistrar(config, createLogger("error"));
  return {
    ...running,
    publicUrl: running.registrar.settings.publicUrl,
    adminUrl: `http://127.0.0.1:${running.adminPort}`,
    adminKey,
  };
}
