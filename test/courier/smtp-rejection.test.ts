import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { courierStreamId } from "../../src/courier/courier-events.ts";
import { createLogger } from "../../src/logger.ts";
import { eventually } from "../support/eventually.ts";
import { type CourierPipeline, startCourierPipeline } from "./pipeline.ts";
import {
  appendMessageRequest,
  type CourierTestContext,
  createCourierTestContext,
} from "./support.ts";

let context: CourierTestContext;
let pipeline: CourierPipeline;
let server: SMTPServer;
const rcptTimes: number[] = [];
const logLines: Array<Record<string, unknown>> = [];
let requestedCode = "";
const logger = createLogger("info", {
  write: (line: string) => {
    logLines.push(JSON.parse(line) as Record<string, unknown>);
  },
});

beforeAll(async () => {
  context = await createCourierTestContext("courier_rejection");
  server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onRcptTo(address, _session, callback) {
      rcptTimes.push(Date.now());
      const error = new Error(`Mailbox ${address.address} is unavailable`) as Error & {
        responseCode: number;
      };
      error.responseCode = 550;
      callback(error);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  pipeline = await startCourierPipeline(context, {
    smtpUrl: `smtp://127.0.0.1:${port}`,
    attempts: 3,
    backoffDelayMs: 200,
    logger,
  });
});

afterAll(async () => {
  await pipeline.stop();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await context.drop();
});

describe("SMTP server rejecting mail", () => {
  it("retries with backoff, then abandons", async () => {
    const address = "rejected@example.com";
    const request = await appendMessageRequest(context, { address });
    requestedCode = request.code!;

    const events = await eventually(async () => {
      const found = await context.store.readStream(courierStreamId(request.messageId));
      expect(found.at(-1)?.type).toBe("CourierMessageAbandoned");
      return found;
    }, 20_000);
    expect(events.map((event) => event.type)).toEqual([
      "CourierDeliveryStarted",
      "CourierDeliveryFailed",
      "CourierDeliveryStarted",
      "CourierDeliveryFailed",
      "CourierDeliveryStarted",
      "CourierDeliveryFailed",
      "CourierMessageAbandoned",
    ]);
    expect(events.at(-1)!.data).toMatchObject({ reason: "retries_exhausted" });
    const failures = events.filter((event) => event.type === "CourierDeliveryFailed");
    expect(failures.map((event) => (event.data as { attempt: number }).attempt)).toEqual([1, 2, 3]);

    // Exponential backoff from 200 ms: about 200 ms, then about 400 ms between attempts.
    expect(rcptTimes).toHaveLength(3);
    expect(rcptTimes[1]! - rcptTimes[0]!).toBeGreaterThanOrEqual(180);
    expect(rcptTimes[2]! - rcptTimes[1]!).toBeGreaterThanOrEqual(380);

    for (const failure of failures) {
      const error = (failure.data as { error: string }).error;
      expect(error).toContain("550");
      expect(error).toContain("is unavailable");
      expect(error).not.toContain(address);
      expect(error).not.toContain(request.code!);
    }
  });

  it("logs job lines without secrets", () => {
    const jobLines = logLines.filter((line) => line.job_id !== undefined);
    expect(jobLines.map((line) => [line.level, line.msg, line.attempt])).toEqual([
      ["warn", "courier delivery failed; retrying", 1],
      ["warn", "courier delivery failed; retrying", 2],
      ["error", "courier delivery failed; message abandoned", 3],
    ]);
    for (const line of jobLines) {
      expect(line.queue).toBe("courier");
      expect(line.duration_ms).toBeTypeOf("number");
      expect(line.message_id).toBeTypeOf("string");
    }
    const everything = JSON.stringify(logLines);
    expect(everything).not.toContain("rejected@example.com");
    expect(requestedCode).toMatch(/^\d{6}$/);
    expect(everything).not.toContain(requestedCode);
    expect(everything).toContain("is unavailable");
  });

  it("lists the abandoned message with its failed dispatches", async () => {
    const { messages } = await eventually(async () => {
      await pipeline.runner.runUntilCaughtUp("courier_messages");
      const page = await pipeline.queries.listCourierMessages({ status: "abandoned" });
      expect(page.messages).toHaveLength(1);
      return page;
    }, 15_000);

    const [message] = messages;
    expect(message!.status).toBe("abandoned");
    expect(message!.send_count).toBe(3);
    expect(message!.dispatches.map((dispatch) => dispatch.status)).toEqual([
      "failed",
      "failed",
      "failed",
    ]);
    expect(message!.dispatches[0]!.error?.message).toContain("550");
    expect(JSON.stringify(message!.dispatches)).not.toContain("rejected@example.com");
  });
});
