import { randomUUID } from "node:crypto";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CapturedMail } from "../../src/courier/capture-server.ts";
import { courierStreamId } from "../../src/courier/courier-events.ts";
import { eventually } from "../support/eventually.ts";
import { mailParts } from "./mime.ts";
import { type CourierPipeline, startCourierPipeline } from "./pipeline.ts";
import {
  appendMessageRequest,
  type CourierTestContext,
  createCourierTestContext,
  eraseIdentity,
} from "./support.ts";

let context: CourierTestContext;
let pipeline: CourierPipeline;

beforeAll(async () => {
  context = await createCourierTestContext("courier_delivery");
  pipeline = await startCourierPipeline(context);
});

afterAll(async () => {
  await pipeline.stop();
  await context.drop();
});

function mailsTo(address: string): CapturedMail[] {
  return pipeline.capture!.messages().filter((mail) => mail.envelope.to.includes(address));
}

async function courierEventTypes(messageId: string): Promise<string[]> {
  const events = await context.store.readStream(courierStreamId(messageId));
  return events.map((event) => event.type);
}

describe("courier delivery", () => {
  it("sends the code in text and HTML", async () => {
    const address = "ada@example.com";
    const request = await appendMessageRequest(context, { address });

    const [mail] = await eventually(async () => {
      const received = mailsTo(address);
      expect(received).toHaveLength(1);
      return received;
    }, 15_000);
    const { text, html } = mailParts(mail!.raw);
    expect(request.code).toMatch(/^\d{6}$/);
    expect(text).toContain(`Use code ${request.code} to verify your email address.`);
    expect(html).toContain(`<strong>${request.code}</strong>`);
    expect(mail!.headers.subject).toEqual(["Your verification code"]);
    expect(mail!.headers.from).toEqual(["Registrar <no-reply@registrar.test>"]);
    expect(mail!.headers["message-id"]).toEqual([`<${request.messageId}@registrar.test>`]);
  });

  it("shows a sent message with one successful dispatch", async () => {
    const request = await appendMessageRequest(context, { address: "grace@example.com" });

    const message = await eventually(async () => {
      await pipeline.runner.runUntilCaughtUp("courier_messages");
      const found = await pipeline.queries.getCourierMessage(request.messageId);
      expect(found?.status).toBe("sent");
      return found!;
    }, 15_000);
    expect(message.recipient).toBe("grace@example.com");
    expect(message.template_type).toBe("verification_code_valid");
    expect(message.send_count).toBe(1);
    expect(message.dispatches).toHaveLength(1);
    expect(message.dispatches[0]!.status).toBe("success");
    expect(message.dispatches[0]!.message_id).toBe(request.messageId);
    expect(await courierEventTypes(request.messageId)).toEqual([
      "CourierDeliveryStarted",
      "CourierMessageSent",
    ]);
  });

  it("escapes the link in the HTML part", async () => {
    const address = "linus@example.com";
    const link = `https://id.example.com/verify?flow=${randomUUID()}&token=a"b<c>`;
    await appendMessageRequest(context, { address, template: "recovery_valid", link });

    const [mail] = await eventually(async () => {
      const received = mailsTo(address);
      expect(received).toHaveLength(1);
      return received;
    }, 15_000);
    const { text, html } = mailParts(mail!.raw);
    expect(mail!.headers.subject).toEqual(["Recover access to your account"]);
    expect(text).toContain(link);
    const escaped = link.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;");
    expect(html).toContain(`href="${escaped.replace(">", "&gt;")}"`);
    expect(html).not.toContain('a"b<c>');
  });

  it("abandons a message of an erased identity", async () => {
    const identityId = randomUUID();
    const address = "erased@example.com";
    await pipeline.workers[0]!.worker.pause();
    const request = await appendMessageRequest(context, { identityId, address });
    await eraseIdentity(context, identityId);
    pipeline.workers[0]!.worker.resume();

    await eventually(async () => {
      expect(await courierEventTypes(request.messageId)).toEqual(["CourierMessageAbandoned"]);
    }, 15_000);
    const [abandoned] = await context.store.readStream(courierStreamId(request.messageId));
    expect(abandoned!.data).toMatchObject({ reason: "identity_erased" });
    expect(mailsTo(address)).toHaveLength(0);

    const message = await eventually(async () => {
      await pipeline.runner.runUntilCaughtUp("courier_messages");
      const found = await pipeline.queries.getCourierMessage(request.messageId);
      expect(found?.status).toBe("abandoned");
      return found!;
    }, 15_000);
    expect(message.recipient).toBe("");
    expect(message.send_count).toBe(0);
  });

  it("abandons an expired code without sending", async () => {
    const address = "late@example.com";
    const expiresAt = new Date(Date.now() - 1_000);
    const request = await appendMessageRequest(context, { address, expiresAt });

    await eventually(async () => {
      expect(await courierEventTypes(request.messageId)).toEqual(["CourierMessageAbandoned"]);
    }, 15_000);
    const [abandoned] = await context.store.readStream(courierStreamId(request.messageId));
    expect(abandoned!.data).toMatchObject({ reason: "expired" });
    expect(mailsTo(address)).toHaveLength(0);
  });

  it("abandons a message whose code was used", async () => {
    const address = "used@example.com";
    await pipeline.workers[0]!.worker.pause();
    const request = await appendMessageRequest(context, { address });
    await context.secrets.deleteFlowSecrets(request.flowId);
    pipeline.workers[0]!.worker.resume();

    await eventually(async () => {
      expect(await courierEventTypes(request.messageId)).toEqual(["CourierMessageAbandoned"]);
    }, 15_000);
    const [abandoned] = await context.store.readStream(courierStreamId(request.messageId));
    expect(abandoned!.data).toMatchObject({ reason: "expired" });
    expect(mailsTo(address)).toHaveLength(0);
  });

  it("abandons a message whose secret expired", async () => {
    const address = "secret-expired@example.com";
    await pipeline.workers[0]!.worker.pause();
    const request = await appendMessageRequest(context, { address });
    await context.database.pool.query(
      "UPDATE courier_secrets SET expires_at = now() - interval '1 second' WHERE message_id = $1",
      [request.messageId],
    );
    pipeline.workers[0]!.worker.resume();

    await eventually(async () => {
      expect(await courierEventTypes(request.messageId)).toEqual(["CourierMessageAbandoned"]);
    }, 15_000);
    const [abandoned] = await context.store.readStream(courierStreamId(request.messageId));
    expect(abandoned!.data).toMatchObject({ reason: "expired" });
    expect(mailsTo(address)).toHaveLength(0);
  });

  it("abandons a message without a stored secret", async () => {
    const address = "no-secret@example.com";
    const request = await appendMessageRequest(context, { address, withoutSecret: true });

    await eventually(async () => {
      expect(await courierEventTypes(request.messageId)).toEqual(["CourierMessageAbandoned"]);
    }, 15_000);
    const [abandoned] = await context.store.readStream(courierStreamId(request.messageId));
    expect(abandoned!.data).toMatchObject({ reason: "expired" });
    expect(mailsTo(address)).toHaveLength(0);
  });

  it("skips a message enqueued again under a new job id", async () => {
    const address = "twice@example.com";
    const request = await appendMessageRequest(context, { address });
    await eventually(async () => expect(mailsTo(address)).toHaveLength(1), 15_000);

    // A job removed from Redis after its retention time and enqueued again gets a new job id,
    // so only the courier stream prevents a second mail.
    const job = {
      eventId: request.eventId,
      streamId: `identity-${request.identityId}`,
      streamVersion: request.result.version,
      messageId: request.messageId,
    };
    await pipeline.producer.enqueue([job]);
    const queue = new Queue("courier", {
      connection: { url: context.redisUrl },
      prefix: context.prefix,
    });
    const second = await queue.add("send", job, { jobId: randomUUID() });
    const finished = await eventually(async () => {
      const found = await queue.getJob(second.id!);
      expect(await found?.getState()).toBe("completed");
      return found!;
    }, 15_000);
    expect(finished.returnvalue).toBe("skipped_sent");
    await queue.close();

    expect(mailsTo(address)).toHaveLength(1);
    expect(await courierEventTypes(request.messageId)).toEqual([
      "CourierDeliveryStarted",
      "CourierMessageSent",
    ]);
  });
});
