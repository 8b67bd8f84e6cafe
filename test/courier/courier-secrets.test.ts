import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMailTransport } from "../../src/courier/mail-transport.ts";
import { CourierTemplates } from "../../src/courier/templates.ts";
import { PersonalDataError } from "../../src/personal-data/errors.ts";
import { startCourierWorker } from "../../workers/courier-worker.ts";
import { eventually } from "../support/eventually.ts";
import {
  type CourierTestContext,
  createCourierTestContext,
  eraseIdentity,
  silentLogger,
} from "./support.ts";

let context: CourierTestContext;
const now = new Date("2025-03-01T12:00:00.000Z");
const later = new Date("2025-03-01T12:15:00.000Z");

beforeAll(async () => {
  context = await createCourierTestContext("courier_secrets");
});

afterAll(async () => {
  await context.drop();
});

async function saveCode(overrides: { identityId?: string; flowId?: string; expiresAt?: Date }) {
  const secret = {
    messageId: randomUUID(),
    identityId: overrides.identityId ?? randomUUID(),
    flowId: overrides.flowId ?? randomUUID(),
    eventType: "RecoveryMessageRequested" as const,
    value: "482913",
    expiresAt: overrides.expiresAt ?? later,
  };
  await context.secrets.saveSecret(secret);
  return secret;
}

async function storedRow(messageId: string) {
  const { rows } = await context.database.pool.query<{ secret: string; identity_id: string }>(
    "SELECT secret, identity_id FROM courier_secrets WHERE message_id = $1",
    [messageId],
  );
  return rows[0];
}

describe("courier secret store", () => {
  it("stores the code encrypted", async () => {
    const secret = await saveCode({});

    const row = await storedRow(secret.messageId);
    expect(row!.identity_id).toBe(secret.identityId);
    expect(row!.secret.startsWith(`pd1.${secret.identityId}.`)).toBe(true);
    expect(row!.secret).not.toContain("482913");
    expect(await context.secrets.findSecret(secret, now)).toBe("482913");
  });

  it("finds nothing after expiry", async () => {
    const secret = await saveCode({});

    expect(await context.secrets.findSecret(secret, later)).toBeUndefined();
    expect(await context.secrets.findSecret({ ...secret, messageId: randomUUID() }, now)).toBe(
      undefined,
    );
  });

  it("returns erased after the identity's erasure", async () => {
    const secret = await saveCode({});
    await eraseIdentity(context, secret.identityId);

    expect(await context.secrets.findSecret(secret, now)).toBe("[erased]");
    const error = await saveCode({ identityId: secret.identityId }).catch((caught) => caught);
    expect(error).toBeInstanceOf(PersonalDataError);
    expect((error as PersonalDataError).code).toBe("subject_erased");
  });

  it("rejects a token moved to another message", async () => {
    const identityId = randomUUID();
    const first = await saveCode({ identityId });
    const second = await saveCode({ identityId });
    await context.database.pool.query(
      "UPDATE courier_secrets SET secret = $1 WHERE message_id = $2",
      [(await storedRow(first.messageId))!.secret, second.messageId],
    );

    const error = await context.secrets.findSecret(second, now).catch((caught) => caught);
    expect(error).toBeInstanceOf(PersonalDataError);
    expect((error as PersonalDataError).code).toBe("field_authentication_failed");
  });

  it("rejects a token read as another event type", async () => {
    const secret = await saveCode({});

    const lookup = { ...secret, eventType: "VerificationMessageRequested" as const };
    const error = await context.secrets.findSecret(lookup, now).catch((caught) => caught);
    expect((error as PersonalDataError).code).toBe("field_authentication_failed");
  });

  it("deletes the secrets of one flow", async () => {
    const flowId = randomUUID();
    const first = await saveCode({ flowId });
    const second = await saveCode({ flowId });
    const other = await saveCode({});

    await context.secrets.deleteFlowSecrets(flowId);
    expect(await storedRow(first.messageId)).toBeUndefined();
    expect(await storedRow(second.messageId)).toBeUndefined();
    expect(await context.secrets.findSecret(other, now)).toBe("482913");
  });

  it("deletes one message's secret", async () => {
    const secret = await saveCode({});
    const other = await saveCode({ flowId: secret.flowId });

    await context.secrets.deleteSecret(secret.messageId);
    expect(await storedRow(secret.messageId)).toBeUndefined();
    expect(await storedRow(other.messageId)).toBeDefined();
  });

  it("deletes expired secrets only", async () => {
    const expired = await saveCode({ expiresAt: now });
    const live = await saveCode({ expiresAt: later });

    expect(await context.secrets.deleteExpiredSecrets(now)).toBeGreaterThanOrEqual(1);
    expect(await storedRow(expired.messageId)).toBeUndefined();
    expect(await storedRow(live.messageId)).toBeDefined();
  });
});

describe("courier worker cleanup", () => {
  it("deletes expired secrets periodically", async () => {
    const expired = await saveCode({ expiresAt: new Date(Date.now() - 1_000) });
    const live = await saveCode({ expiresAt: new Date(Date.now() + 60_000) });
    const transport = createMailTransport("smtp://127.0.0.1:1", { connectTimeoutMs: 100 });
    const worker = await startCourierWorker({
      store: context.store,
      codec: context.personalData.codec,
      secrets: context.secrets,
      secretCleanupIntervalMs: 50,
      transport,
      templates: new CourierTemplates(),
      from: { name: "Registrar", address: "no-reply@registrar.test" },
      redisUrl: context.redisUrl,
      prefix: context.prefix,
      logger: silentLogger,
    });

    try {
      await eventually(async () => {
        expect(await storedRow(expired.messageId)).toBeUndefined();
      }, 5_000);
      expect(await storedRow(live.messageId)).toBeDefined();
    } finally {
      await worker.close();
      transport.close();
    }
  });
});
