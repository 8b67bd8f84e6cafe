import type { RunningRegistrar } from "../../src/app/start.ts";
import { type RegistrarForTest, startRegistrarForTest } from "./start-registrar.ts";

/** A running Registrar with its database, URLs, admin key and captured logs beside it. */
export type TestApp = RunningRegistrar & Omit<RegistrarForTest, "running">;

/**
 * Starts a whole Registrar on free ports against a fresh database, with cheap password hashing
 * and every log line captured at debug level.
 */
export async function startTestApp(
  label: string,
  env: Record<string, string> = {},
): Promise<TestApp> {
  const { running, ...app } = await startRegistrarForTest(label, { env });
  return { ...running, ...app };
}
