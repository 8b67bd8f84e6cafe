import { createHash, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { ConfigError } from "../config/config.ts";

/** Scopes an admin API key can hold. */
export const adminScopes = [
  "identities:read",
  "identities:write",
  "sessions:read",
  "sessions:write",
  "commands:write",
  "audit:read",
  "projections:read",
  "projections:write",
  "courier:read",
  "recovery:write",
  "metrics:read",
] as const;

export type AdminScope = (typeof adminScopes)[number];

/** An admin API key as Registrar keeps it: only the SHA-256 of the key, never the key. */
export interface ApiKey {
  id: string;
  sha256: Buffer;
  scopes: ReadonlySet<AdminScope>;
}

const configuredKeySchema = z.array(
  z.strictObject({
    id: z.string().min(1).max(100),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lower-case hex digits"),
    scopes: z.array(z.enum(adminScopes)).min(1),
  }),
);

/**
 * Parses `ADMIN_API_KEYS` (JSON with SHA-256 digests) and adds the bootstrap key, hashed here,
 * with every scope.
 */
export function parseApiKeys(json: string | undefined, bootstrapKey: string | undefined): ApiKey[] {
  const keys: ApiKey[] = [];
  if (json) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      throw new ConfigError("ADMIN_API_KEYS: not valid JSON");
    }
    const result = configuredKeySchema.safeParse(parsed);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new ConfigError(`ADMIN_API_KEYS: ${issue?.path.join(".")}: ${issue?.message}`);
    }
    for (const key of result.data) {
      keys.push({
        id: key.id,
        sha256: Buffer.from(key.sha256, "hex"),
        scopes: new Set(key.scopes),
      });
    }
  }
  if (bootstrapKey) {
    keys.push({
      id: "bootstrap",
      sha256: createHash("sha256").update(bootstrapKey).digest(),
      scopes: new Set(adminScopes),
    });
  }
  return keys;
}

/**
 * Finds the key whose digest matches the presented key. Digests have a fixed length, so the
 * comparison takes the same time whatever the key, and every configured key is compared.
 */
export function findApiKey(keys: readonly ApiKey[], presented: string): ApiKey | undefined {
  const digest = createHash("sha256").update(presented).digest();
  let found: ApiKey | undefined;
  for (const key of keys) {
    if (timingSafeEqual(key.sha256, digest)) found = key;
  }
  return found;
}
