import { randomBytes, randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import pino, { type Logger } from "pino";
import { CourierSecretStore } from "../../src/courier/courier-secrets.ts";
import type { CourierTemplateType } from "../../src/courier/message-request.ts";
import type { EventMetadata } from "../../src/eventstore/envelope.ts";
import type { AppendResult, NewEvent } from "../../src/eventstore/port.ts";
import { PostgresEventStore } from "../../src/eventstore/postgres/postgres-event-store.ts";
import {
  createPersonalData,
  type PersonalData,
} from "../../src/personal-data/create-personal-data.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";

export const silentLogger: Logger = pino({ level: "silent" });

/** A database, event store and personal-data services for one test file. */
export interface CourierTestContext {
  database: TestDatabase;
  store: PostgresEventStore;
  personalData: PersonalData;
  /** The codes and links of the requested messages, as the flows store them. */
  secrets: CourierSecretStore;
  /** BullMQ key prefix unique to this test file, so files never share a queue. */
  prefix: string;
  redisUrl: string;
  drop(): Promise<void>;
}

export async function createCourierTestContext(label: string): Promise<CourierTestContext> {
  const database = await createTestDatabase(label);
  const store = new PostgresEventStore({ pool: database.pool });
  const personalData = createPersonalData(database.pool, {
    masterKey: randomBytes(32),
    claimKeySecret: randomBytes(32),
  });
  const prefix = `rg_test_${label}_${randomBytes(4).toString("hex")}`;
  const redisUrl = "redis://127.0.0.1:6379";
  return {
    database,
    store,
    personalData,
    secrets: new CourierSecretStore(database.pool, personalData.cipher),
    prefix,
    redisUrl,
    async drop() {
      await deleteRedisKeys(redisUrl, `${prefix}*`);
      await database.drop();
    },
  };
}

/** Deletes the Redis keys of one test's prefix, and nothing else. */
export async function deleteRedisKeys(redisUrl: string, pattern: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

export interface MessageRequestInput {
  identityId?: string;
  template?: CourierTemplateType;
  address?: string;
  code?: string;
  link?: string;
  expiresAt?: Date;
  /** Appends the event without storing its code or link, as after the secret was deleted. */
  withoutSecret?: boolean;
}

export interface AppendedRequest {
  identityId: string;
  messageId: string;
  flowId: string;
  eventId: string;
  code?: string;
  link?: string;
  result: AppendResult;
}

/**
 * Stores the code or link and appends the message request event, encrypted, in the order the
 * flows use.
 */
export async function appendMessageRequest(
  context: CourierTestContext,
  input: MessageRequestInput = {},
): Promise<AppendedRequest> {
  const identityId = input.identityId ?? randomUUID();
  const template = input.template ?? "verification_code_valid";
  const isCode = template.endsWith("_code_valid");
  const code = isCode ? (input.code ?? sixDigits()) : undefined;
  const link = isCode
    ? undefined
    : (input.link ?? `https://id.example.com/self-service/verify?t=${randomUUID()}`);

  const messageId = randomUUID();
  const flowId = randomUUID();
  const expiresAt = input.expiresAt ?? new Date(Date.now() + 15 * 60_000);
  const type = template.startsWith("verification")
    ? "VerificationMessageRequested"
    : "RecoveryMessageRequested";
  if (!input.withoutSecret) {
    const value = (code ?? link)!;
    await context.secrets.saveSecret({
      messageId,
      identityId,
      flowId,
      eventType: type,
      value,
      expiresAt,
    });
  }

  const event: NewEvent = {
    eventId: randomUUID(),
    type,
    data: {
      messageId,
      flowId,
      template,
      address: input.address ?? `person-${messageId.slice(0, 8)}@example.com`,
      expiresAt: expiresAt.toISOString(),
    },
    metadata: requestMetadata(),
  };
  const encrypted = await context.personalData.codec.encryptEvent(identityId, event, ["address"]);
  const result = await context.store.append(`identity-${identityId}`, "any", [encrypted]);
  return { identityId, messageId, flowId, eventId: event.eventId, code, link, result };
}

/** Erases an identity as the erasure command does: event, key destruction, one append. */
export async function eraseIdentity(context: CourierTestContext, identityId: string) {
  await context.store.append(
    `identity-${identityId}`,
    "any",
    [
      {
        eventId: randomUUID(),
        type: "IdentityErased",
        data: { identityId, reason: "data_subject_request", erasedAt: new Date().toISOString() },
        metadata: requestMetadata(),
      },
    ],
    { destroySubjectKeys: [identityId] },
  );
  context.personalData.keys.evict(identityId);
}

function requestMetadata(): EventMetadata {
  return {
    correlationId: randomUUID(),
    causationId: null,
    actor: { type: "anonymous" },
    occurredAt: new Date().toISOString(),
  };
}

function sixDigits(): string {
  return String(randomBytes(4).readUInt32BE(0) % 1_000_000).padStart(6, "0");
}
