import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterEach, beforeEach, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../src/config/config.ts";
import { developmentSecretsFile, loadSecrets } from "../../src/config/secrets.ts";
import { createLogger } from "../../src/logger.ts";

let cwd: string;
let logs: string[];
const logger = () =>
  createLogger(
    "info",
    new Writable({
      write(chunk, _encoding, done) {
        logs.push(String(chunk));
        done();
      },
    }),
  );
const masterKey = randomBytes(32).toString("base64");
const claimKeySecret = randomBytes(32).toString("base64");

beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), "registrar-secrets-"));
  logs = [];
});

afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

async function storedAdminKey(): Promise<string> {
  const stored = JSON.parse(await readFile(join(cwd, developmentSecretsFile), "utf8"));
  return stored.ADMIN_API_KEY;
}

it("generates and reuses development secrets", async () => {
  const first = await loadSecrets(parseConfig({}), logger(), cwd);
  const second = await loadSecrets(parseConfig({}), logger(), cwd);
  expect(first.masterKey).toHaveLength(32);
  expect(second.masterKey.equals(first.masterKey)).toBe(true);
  expect(second.claimKeySecret.equals(first.claimKeySecret)).toBe(true);
  expect(first.adminApiKey).toBe(await storedAdminKey());
  expect(second.adminApiKey).toBe(first.adminApiKey);
});

it("generates an admin key beside configured secrets", async () => {
  const config = parseConfig({ MASTER_KEY: masterKey, CLAIM_KEY_SECRET: claimKeySecret });
  const secrets = await loadSecrets(config, logger(), cwd);
  expect(secrets.masterKey.toString("base64")).toBe(masterKey);
  expect(secrets.claimKeySecret.toString("base64")).toBe(claimKeySecret);
  expect(secrets.adminApiKey).toBe(await storedAdminKey());
});

it.each([
  ["ADMIN_API_KEY", "a configured bootstrap key of enough length"],
  ["ADMIN_API_KEYS", "[]"],
])("generates nothing when %s is set", async (key, value) => {
  const config = parseConfig({
    MASTER_KEY: masterKey,
    CLAIM_KEY_SECRET: claimKeySecret,
    [key]: value,
  });
  const secrets = await loadSecrets(config, logger(), cwd);
  expect(secrets.adminApiKey).toBe(key === "ADMIN_API_KEY" ? value : undefined);
  await expect(readFile(join(cwd, developmentSecretsFile))).rejects.toThrow(/ENOENT/);
});

it("warns of a production start without admin keys", async () => {
  const config = parseConfig({
    REGISTRAR_ENV: "production",
    MASTER_KEY: masterKey,
    CLAIM_KEY_SECRET: claimKeySecret,
  });
  const secrets = await loadSecrets(config, logger(), cwd);
  expect(secrets.adminApiKey).toBeUndefined();
  expect(logs.join("")).toContain("no admin API key is configured");
  await expect(readFile(join(cwd, developmentSecretsFile))).rejects.toThrow(/ENOENT/);
});

it("stops a production start without its secrets", async () => {
  const config = parseConfig({ REGISTRAR_ENV: "production", MASTER_KEY: masterKey });
  await expect(loadSecrets(config, logger(), cwd)).rejects.toThrow(ConfigError);
  await expect(loadSecrets(config, logger(), cwd)).rejects.toThrow(/CLAIM_KEY_SECRET/);
});
