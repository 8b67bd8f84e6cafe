import { createHash } from "node:crypto";
import { Redis } from "ioredis";
import pg from "pg";
import type { Logger } from "pino";
import { IdentityCommandHandler } from "../commands/identity-command-handler.ts";
import { SessionService } from "../commands/session-service.ts";
import type { RawConfig } from "../config/config.ts";
import { loadSecrets } from "../config/secrets.ts";
import {
  type BreachedPasswordChecker,
  disabledBreachedPasswordChecker,
  HibpBreachedPasswordChecker,
  owaspArgon2Parameters,
  PasswordHasher,
} from "../credential/index.ts";
import { ensureDatabase, migrate } from "../db/migrate.ts";
import type { EventStore } from "../eventstore/port.ts";
import { FlowStore } from "../flows/flow-store.ts";
import {
  defaultIdentitySchemaConfig,
  type IdentitySchemaConfig,
  type IdentitySchemaRegistry,
  loadIdentitySchemas,
} from "../identity-schema/index.ts";
import { createPersonalData, type PersonalData } from "../personal-data/create-personal-data.ts";
import { auditTrailProjection } from "../projections/audit/audit-trail-projection.ts";
import { identityProjection } from "../projections/identity/identity-projection.ts";
import { sessionProjection } from "../projections/identity/session-projection.ts";
import type { ProjectionDefinition } from "../projections/projection.ts";
import { ProjectionRunner } from "../projections/runner.ts";
import { IdentityQueries } from "../queries/identity-queries.ts";
import { type ApiKey, parseApiKeys } from "./api-keys.ts";
import { type Courier, createCourier } from "./courier.ts";
import { createEventStore } from "./event-store.ts";
import { resolveSettings, type Settings } from "./settings.ts";

/** Every service of one Registrar process, built from configuration. */
export interface Registrar {
  config: RawConfig;
  settings: Settings;
  logger: Logger;
  pool: pg.Pool;
  redis: Redis;
  store: EventStore;
  personalData: PersonalData;
  schemas: IdentitySchemaRegistry;
  hasher: PasswordHasher;
  breachedPasswords: BreachedPasswordChecker;
  identities: IdentityCommandHandler;
  sessions: SessionService;
  queries: IdentityQueries;
  flows: FlowStore;
  projections: ProjectionRunner;
  apiKeys: ApiKey[];
  courier: Courier;
  /** Releases connections; the projection runner must be stopped first. */
  close(): Promise<void>;
}

export interface CreateRegistrarOptions {
  logger: Logger;
  /** Extra projections and reactors, such as the courier's. */
  extraProjections?: ProjectionDefinition[];
  /** Parameters of the password hasher; tests pass cheaper ones. */
  hasherParameters?: Parameters<typeof PasswordHasher.create>[0];
}

/** Connects to PostgreSQL and Redis, runs migrations and builds every service. */
export async function createRegistrar(
  config: RawConfig,
  options: CreateRegistrarOptions,
): Promise<Registrar> {
  const { logger } = options;
  const secrets = await loadSecrets(config, logger);
  const settings = resolveSettings(config);

  await ensureDatabase(config.DATABASE_URL);
  const migration = await migrate(config.DATABASE_URL);
  if (migration.applied.length > 0)
    logger.info({ applied: migration.applied }, "migrations applied");

  const pool = new pg.Pool({
    connectionString: config.DATABASE_URL,
    max: config.DATABASE_POOL_SIZE,
    statement_timeout: config.DATABASE_STATEMENT_TIMEOUT_MS,
  });
  pool.on("error", (error) => logger.error({ err: error }, "idle PostgreSQL connection failed"));
  // Auto-pipelining sends the commands one request issues together, such as a login's
  // throttle counters, in one write.
  const redis = new Redis(config.REDIS_URL, {
    maxRetriesPerRequest: 1,
    lazyConnect: false,
    enableAutoPipelining: true,
  });
  redis.on("error", (error) => logger.warn({ err: error }, "Redis connection error"));

  const personalData = createPersonalData(pool, {
    masterKey: secrets.masterKey,
    previousMasterKeys: secrets.previousMasterKeys,
    claimKeySecret: secrets.claimKeySecret,
  });
  const store = createEventStore(config, { pool, personalData, logger });
  const schemas = await loadIdentitySchemas(schemaConfig(config));
  const hasher = await PasswordHasher.create(
    options.hasherParameters ?? {
      ...owaspArgon2Parameters,
      memoryCost: config.ARGON2_MEMORY_KIB,
      timeCost: config.ARGON2_ITERATIONS,
      parallelism: config.ARGON2_PARALLELISM,
    },
  );
  const breachedPasswords = config.BREACHED_PASSWORD_API
    ? new HibpBreachedPasswordChecker({ baseUrl: config.BREACHED_PASSWORD_API })
    : disabledBreachedPasswordChecker;

  const courier = await createCourier(config, {
    pool,
    store,
    personalData,
    claimKeySecret: secrets.claimKeySecret,
    development: settings.development,
    logger,
  });

  const identities = new IdentityCommandHandler(store, personalData);
  const queries = new IdentityQueries(pool);
  const projections = new ProjectionRunner({
    pool,
    store,
    logger: logger.child({ component: "projections" }),
    decode: (events) => personalData.codec.decryptEvents(events),
    projections: [
      identityProjection(),
      sessionProjection(),
      auditTrailProjection(),
      ...courier.projections,
      ...(options.extraProjections ?? []),
    ],
  });
  await projections.prepare();
  const sessions = new SessionService({ identities, queries, projections, settings });

  const apiKeys = parseApiKeys(config.ADMIN_API_KEYS, secrets.adminApiKey);

  return {
    config,
    settings,
    logger,
    pool,
    redis,
    store,
    personalData,
    schemas,
    hasher,
    breachedPasswords,
    identities,
    sessions,
    queries,
    flows: new FlowStore(pool),
    projections,
    apiKeys,
    courier,
    async close() {
      await courier.close();
      redis.disconnect();
      await pool.end();
    },
  };
}

function schemaConfig(config: RawConfig): IdentitySchemaConfig {
  if (!config.IDENTITY_SCHEMAS) return defaultIdentitySchemaConfig();
  return {
    schemas: JSON.parse(config.IDENTITY_SCHEMAS) as IdentitySchemaConfig["schemas"],
    defaultSchemaId: config.DEFAULT_SCHEMA_ID,
  };
}

/** SHA-256 of a secret as lower-case hex, the form in which API keys and tokens are kept. */
export function sha256Hex(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}
