import { randomUUID } from "node:crypto";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { courierStreamId } from "../../src/courier/courier-events.ts";
import { eventually } from "../support/eventually.ts";
import { type CourierPipeline, startCourierPipeline } from "./pipeline.ts";
import {
  type AppendedRequest,
  appendMessageRequest,
  type CourierTestContext,
  createCourierTestContext,
} from "./support.ts";

let context: CourierTestContext;
let pipeline: CourierPipeline;

beforeAll(async () => {
  context = await createCourierTestContext("courier_two_workers");
  pipeline = await startCourierPipeline(context, { workers: 2, concurrency: 1 });
});

afterAll(async () => {
  await pipeline.stop();
  await context.drop();
});

function countByRecipient(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const mail of pipeline.capture!.messages()) {
    for (const to of mail.envelope.to) counts.set(to, (counts.get(to) ?? 0) + 1);
  }
  return counts;
}

describe("two workers on one queue", () => {
  const count = 30;
  let requests: AppendedRequest[];

  it("delivers each of 30 mails once", async () => {
    requests = await Promise.all(
      Array.from({ length: count }, (_, index) =>
        appendMessageRequest(context, { address: `member-${index}@example.com` }),
      ),
    );

    await eventually(async () => {
      expect(pipeline.capture!.messages()).toHaveLength(count);
    }, 30_000);
    const counts = countByRecipient();
    expect(counts.size).toBe(count);
    expect(Math.max(...counts.values())).toBe(1);

    const processedBy = new Set<string>();
    const queue = new Queue("courier", {
      connection: { url: context.redisUrl },
      prefix: context.prefix,
    });
    for (const request of requests) {
      const job = await queue.getJob(request.eventId);
      expect(await job?.getState()).toBe("completed");
      if (job?.processedBy) processedBy.add(job.processedBy);
    }
    await queue.close();
    expect(processedBy.size).toBe(2);
  });

  it("sends nothing again on re-enqueue", async () => {
    const queue = new Queue("courier", {
      connection: { url: context.redisUrl },
      prefix: context.prefix,
    });
    const jobs = requests.map((request) => ({
      eventId: request.eventId,
      streamId: `identity-${request.identityId}`,
      streamVersion: request.result.version,
      messageId: request.messageId,
    }));
    // Same job ids: BullMQ keeps the finished jobs, so these adds change nothing.
    await pipeline.producer.enqueue(jobs);
    // New job ids, as after the finished jobs were removed: the courier streams stop them.
    const added = await queue.addBulk(
      jobs.map((data) => ({ name: "send", data, opts: { jobId: randomUUID() } })),
    );

    await eventually(async () => {
      for (const job of added) {
        const found = await queue.getJob(job.id!);
        expect(await found?.getState()).toBe("completed");
        expect(found?.returnvalue).toBe("skipped_sent");
      }
    }, 30_000);
    await queue.close();

    expect(pipeline.capture!.messages()).toHaveLength(count);
    for (const request of requests) {
      const events = await context.store.readStream(courierStreamId(request.messageId));
      expect(events.map((event) => event.type)).toEqual([
        "CourierDeliveryStarted",
        "CourierMessageSent",
      ]);
    }
  });
});
