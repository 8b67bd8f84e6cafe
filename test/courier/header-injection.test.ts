import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CaptureServer, startCaptureServer } from "../../src/courier/capture-server.ts";
import { courierStreamId } from "../../src/courier/courier-events.ts";
import { parseSender, UnsafeHeaderError } from "../../src/courier/header-safety.ts";
import { createMailTransport, sendRenderedMail } from "../../src/courier/mail-transport.ts";
import { eventually } from "../support/eventually.ts";
import { type CourierPipeline, startCourierPipeline } from "./pipeline.ts";
import {
  appendMessageRequest,
  type CourierTestContext,
  createCourierTestContext,
} from "./support.ts";

let context: CourierTestContext;
let pipeline: CourierPipeline;

beforeAll(async () => {
  context = await createCourierTestContext("courier_headers");
  pipeline = await startCourierPipeline(context);
});

afterAll(async () => {
  await pipeline.stop();
  await context.drop();
});

const mail = { subject: "Hello", text: "Hello", html: "<p>Hello</p>" };

describe("header injection", () => {
  it("abandons an address carrying CR LF", async () => {
    const hostile = "victim@example.com\r\nBcc: attacker@evil.test";
    const hostileRequest = await appendMessageRequest(context, { address: hostile });
    const honest = await appendMessageRequest(context, { address: "honest@example.com" });

    await eventually(async () => {
      const events = await context.store.readStream(courierStreamId(hostileRequest.messageId));
      expect(events.map((event) => event.type)).toEqual(["CourierMessageAbandoned"]);
      expect(events[0]!.data).toMatchObject({ reason: "invalid_recipient" });
    }, 15_000);
    await eventually(async () => expect(pipeline.capture!.messages()).toHaveLength(1), 15_000);

    const [received] = pipeline.capture!.messages();
    expect(received!.envelope.to).toEqual(["honest@example.com"]);
    expect(received!.raw).not.toMatch(/^bcc:/im);
    expect(received!.raw).not.toContain("evil.test");
    expect(honest.messageId).not.toBe(hostileRequest.messageId);
  });

  it("rejects a list of addresses", async () => {
    const request = await appendMessageRequest(context, {
      address: "one@example.com, two@example.com",
    });

    await eventually(async () => {
      const events = await context.store.readStream(courierStreamId(request.messageId));
      expect(events[0]?.data).toMatchObject({ reason: "invalid_recipient" });
    }, 15_000);
  });
});

describe("mail headers", () => {
  let capture: CaptureServer;

  beforeAll(async () => {
    capture = await startCaptureServer();
  });

  afterAll(async () => {
    await capture.close();
  });

  it("rejects CR LF in a display name", async () => {
    const transport = createMailTransport(capture.url);
    const send = sendRenderedMail(
      transport,
      {
        from: { address: "no-reply@registrar.test" },
        to: { name: "Eve\r\nBcc: attacker@evil.test", address: "eve@example.com" },
        messageId: "<one@registrar.test>",
      },
      mail,
    );

    await expect(send).rejects.toBeInstanceOf(UnsafeHeaderError);
    await expect(send).rejects.toThrow("the name contains a control character");
    transport.close();
    expect(capture.messages()).toHaveLength(0);
  });

  it("rejects CR LF in a subject", async () => {
    const transport = createMailTransport(capture.url);
    const send = sendRenderedMail(
      transport,
      {
        from: { address: "no-reply@registrar.test" },
        to: { address: "eve@example.com" },
        messageId: "<two@registrar.test>",
      },
      { ...mail, subject: "Hello\r\nX-Injected: yes" },
    );

    await expect(send).rejects.toThrow("the subject contains a control character");
    transport.close();
    expect(capture.messages()).toHaveLength(0);
  });

  it("parses and checks the sender", () => {
    expect(parseSender("Registrar <no-reply@registrar.test>")).toEqual({
      name: "Registrar",
      address: "no-reply@registrar.test",
    });
    expect(parseSender("no-reply@registrar.test")).toEqual({ address: "no-reply@registrar.test" });
    expect(() => parseSender("Registrar\r\nBcc: x@evil.test <no-reply@registrar.test>")).toThrow(
      UnsafeHeaderError,
    );
    expect(() => parseSender("a@example.com\u0000b@example.com")).toThrow(UnsafeHeaderError);
  });
});
