import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { Logger } from "pino";
import { ConfigError, type RawConfig } from "./config.ts";

export interface Secrets {
  masterKey: Buffer;
  previousMasterKeys: Buffer[];
  claimKeySecret: Buffer;
  /** The bootstrap admin API key, in plaintext only until it is hashed at start. */
  adminApiKey: string | undefined;
}

interface StoredSecrets {
  MASTER_KEY: string;
  CLAIM_KEY_SECRET: string;
  ADMIN_API_KEY: string;
}

/** Local file for development secrets; `.registrar/` is git-ignored. */
export const developmentSecretsFile = ".registrar/secrets.json";

/**
 * Returns the secrets from configuration. In development, missing ones are generated once into
 * a git-ignored file and reused on later starts, and so is an admin API key when no key is
 * configured. In production a missing secret stops start-up, and no admin key is generated.
 */
export async function loadSecrets(
  config: RawConfig,
  logger: Logger,
  cwd = process.cwd(),
): Promise<Secrets> {
  const previousMasterKeys = parsePreviousKeys(config.PREVIOUS_MASTER_KEYS);
  const hasAdminKey = config.ADMIN_API_KEY !== undefined || config.ADMIN_API_KEYS !== undefined;
  const production = config.REGISTRAR_ENV === "production";
  if (config.MASTER_KEY && config.CLAIM_KEY_SECRET && (hasAdminKey || production)) {
    if (!hasAdminKey) {
      logger.warn(
        "no admin API key is configured, so every admin request gets 401. Set ADMIN_API_KEY or ADMIN_API_KEYS.",
      );
    }
    return {
      masterKey: config.MASTER_KEY,
      previousMasterKeys,
      claimKeySecret: config.CLAIM_KEY_SECRET,
      adminApiKey: config.ADMIN_API_KEY,
    };
  }
  if (production) {
    const missing = [
      config.MASTER_KEY ? undefined : "MASTER_KEY",
      config.CLAIM_KEY_SECRET ? undefined : "CLAIM_KEY_SECRET",
    ].filter(Boolean);
    throw new ConfigError(`missing secrets in production: ${missing.join(", ")}`);
  }

  const file = resolve(cwd, developmentSecretsFile);
  const stored = await readOrCreate(file, logger);
  return {
    masterKey: config.MASTER_KEY ?? Buffer.from(stored.MASTER_KEY, "base64"),
    previousMasterKeys,
    claimKeySecret: config.CLAIM_KEY_SECRET ?? Buffer.from(stored.CLAIM_KEY_SECRET, "base64"),
    adminApiKey: hasAdminKey ? config.ADMIN_API_KEY : stored.ADMIN_API_KEY,
  };
}

async function readOrCreate(file: string, logger: Logger): Promise<StoredSecrets> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as StoredSecrets;
  } catch (error) {
    if ((error as { code?: string }).code !== "ENOENT") {
      throw new ConfigError(
        `cannot read development secrets at ${file}: ${(error as Error).message}`,
      );
    }
  }

  const created: StoredSecrets = {
    MASTER_KEY: randomBytes(32).toString("base64"),
    CLAIM_KEY_SECRET: randomBytes(32).toString("base64"),
    ADMIN_API_KEY: randomBytes(32).toString("base64url"),
  };
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, `${JSON.stringify(created, null, 2)}\n`, { mode: 0o600, flag: "wx" });
  logger.warn(
    { file },
    "generated development secrets; the admin API key is ADMIN_API_KEY in this file",
  );
  return created;
}

function parsePreviousKeys(value: string | undefined): Buffer[] {
  if (!value) return [];
  return value.split(",").map((encoded, index) => {
    const key = Buffer.from(encoded.trim(), "base64");
    if (key.length !== 32) {
      throw new ConfigError(`PREVIOUS_MASTER_KEYS: key ${index + 1} must be 32 bytes as base64`);
    }
    return key;
  });
}
