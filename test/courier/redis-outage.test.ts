import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../support/eventually.ts";
import { type CourierPipeline, startCourierPipeline } from "./pipeline.ts";
import {
  type AppendedRequest,
  appendMessageRequest,
  type CourierTestContext,
  createCourierTestContext,
} from "./support.ts";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy.ts";

let context: CourierTestContext;
let proxy: TcpProxy;
let pipeline: CourierPipeline;

beforeAll(async () => {
  context = await createCourierTestContext("courier_outage");
  proxy = await startTcpProxy(6379);
  pipeline = await startCourierPipeline(context, { producerRedisUrl: proxy.url });
});

afterAll(async () => {
  await pipeline.stop();
  await proxy.close();
  await context.drop();
});

async function reactorError(): Promise<string | null> {
  const { rows } = await context.database.pool.query<{ last_error: string | null }>(
    "SELECT last_error FROM projection_checkpoints WHERE projection = 'courier_reactor'",
  );
  return rows[0]?.last_error ?? null;
}

describe("Redis outage at the reactor", () => {
  it("delivers every mail once after Redis returns", async () => {
    const before = await appendMessageRequest(context, { address: "before@example.com" });
    await eventually(async () => expect(pipeline.capture!.messages()).toHaveLength(1), 15_000);

    await proxy.cut();
    const during: AppendedRequest[] = [];
    for (let index = 0; index < 10; index += 1) {
      during.push(await appendMessageRequest(context, { address: `during-${index}@example.com` }));
    }
    await eventually(async () => expect(await reactorError()).toBeTruthy(), 15_000);
    expect(pipeline.capture!.messages()).toHaveLength(1);

    await proxy.restore();
    await eventually(async () => expect(pipeline.capture!.messages()).toHaveLength(11), 30_000);
    await eventually(async () => expect(await reactorError()).toBeNull(), 15_000);

    const recipients = pipeline.capture!.messages().map((mail) => mail.envelope.to[0]);
    expect(new Set(recipients).size).toBe(11);
    expect(recipients[0]).toBe("before@example.com");
    for (let index = 0; index < 10; index += 1) {
      expect(recipients).toContain(`during-${index}@example.com`);
    }
    expect(before.messageId).toBeTruthy();

    const { rows } = await context.database.pool.query(
      "SELECT count(*)::int AS count FROM projection_dead_letters WHERE projection = 'courier_reactor'",
    );
    expect(rows[0]!.count).toBe(0);
  });
});
