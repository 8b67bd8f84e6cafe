import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { foldDeliveryHistory } from "../../src/courier/courier-events.ts";
import { describeDeliveryError } from "../../src/courier/mail-transport.ts";
import {
  courierEventTypes,
  extractMessageRequest,
  InvalidMessageRequestError,
  readMessageId,
  secretValues,
} from "../../src/courier/message-request.ts";
import type { RecordedEvent } from "../../src/eventstore/port.ts";

const identityId = randomUUID();

function requestEvent(type: string, data: Record<string, unknown>): RecordedEvent {
  return {
    eventId: randomUUID(),
    streamId: `identity-${identityId}`,
    streamVersion: 3,
    type,
    schemaVersion: 1,
    data,
    metadata: {
      correlationId: randomUUID(),
      causationId: null,
      actor: { type: "anonymous" },
      occurredAt: "2025-03-01T12:00:00.000Z",
    },
    recordedAt: new Date("2025-03-01T12:00:00.000Z"),
    position: "1",
  };
}

const codeData = {
  messageId: randomUUID(),
  flowId: randomUUID(),
  template: "verification_code_valid",
  address: "ada@example.com",
  expiresAt: "2025-03-01T12:15:00.000Z",
};

function rejection(event: RecordedEvent): string {
  try {
    extractMessageRequest(event);
  } catch (error) {
    if (error instanceof InvalidMessageRequestError) return error.message;
    throw error;
  }
  return "no error raised";
}

describe("message request contract", () => {
  it("lists both request event types", () => {
    expect(courierEventTypes).toEqual(["VerificationMessageRequested", "RecoveryMessageRequested"]);
  });

  it("extracts a code request", () => {
    const request = extractMessageRequest(requestEvent("VerificationMessageRequested", codeData));

    expect(request).toEqual({
      eventType: "VerificationMessageRequested",
      messageId: codeData.messageId,
      flowId: codeData.flowId,
      identityId,
      template: "verification_code_valid",
      address: "ada@example.com",
      expiresAt: new Date(codeData.expiresAt),
    });
  });

  it("accepts an erased address", () => {
    const data = { ...codeData, address: "[erased]" };
    const request = extractMessageRequest(requestEvent("VerificationMessageRequested", data));

    expect(request.address).toBe("[erased]");
  });

  it("drops a code left in an old event", () => {
    const data = { ...codeData, code: "123456", link: "https://x.test/?token=t" };
    const request = extractMessageRequest(requestEvent("VerificationMessageRequested", data));

    expect(request).not.toHaveProperty("code");
    expect(request).not.toHaveProperty("link");
  });

  it("rejects a template of the other flow", () => {
    const event = requestEvent("RecoveryMessageRequested", codeData);
    expect(rejection(event)).toBe(
      "RecoveryMessageRequested cannot use template verification_code_valid",
    );
  });

  it("rejects an invalid address without echoing it", () => {
    const data = { ...codeData, address: "" };
    const message = rejection(requestEvent("VerificationMessageRequested", data));
    expect(message).toBe("VerificationMessageRequested has an invalid field: address");
  });

  it("places the secret by template", () => {
    expect(secretValues("recovery_code_valid", "123456")).toEqual({ code: "123456" });
    expect(secretValues("verification_code_valid", "123456")).toEqual({ code: "123456" });
    expect(secretValues("recovery_valid", "https://x.test/")).toEqual({ link: "https://x.test/" });
    expect(secretValues("verification_valid", "https://x.test/")).toEqual({
      link: "https://x.test/",
    });
  });

  it("rejects a stream other than an identity's", () => {
    const event = { ...requestEvent("VerificationMessageRequested", codeData), streamId: "x-1" };
    expect(rejection(event)).toBe("VerificationMessageRequested must be in an identity stream");
  });

  it("reads the message id without decrypting", () => {
    const event = requestEvent("VerificationMessageRequested", { ...codeData, address: "pd1.x" });
    expect(readMessageId(event)).toBe(codeData.messageId);
    expect(readMessageId(requestEvent("VerificationMessageRequested", {}))).toBeUndefined();
  });
});

describe("delivery error text", () => {
  it("removes addresses, codes and links", () => {
    const error = Object.assign(new Error("Can't send mail"), {
      code: "EENVELOPE",
      responseCode: 550,
      response: "550 5.1.1 <ada@example.com>: unknown; code 123456 link https://x.test/t=1",
    });

    const text = describeDeliveryError(error, ["ada@example.com", "123456", "https://x.test/t=1"]);
    expect(text).toBe(
      "EENVELOPE 550: 550 5.1.1 <[redacted]>: unknown; code [redacted] link [redacted]",
    );
  });

  it("replaces unknown addresses too", () => {
    const text = describeDeliveryError(new Error("relay denied for grace@example.org"), []);
    expect(text).toBe("relay denied for [address]");
  });
});

describe("delivery history", () => {
  it("folds starts, failures and outcomes", () => {
    const event = (type: string, streamVersion: number, data: object = {}) => ({
      ...requestEvent(type, data as Record<string, unknown>),
      streamVersion,
    });
    const started = { attempt: 1, leaseExpiresAt: "2025-03-01T12:02:00.000Z" };

    expect(foldDeliveryHistory([])).toEqual({ version: 0, outcome: "pending", failedAttempts: 0 });
    const inFlight = foldDeliveryHistory([event("CourierDeliveryStarted", 1, started)]);
    expect(inFlight.inFlight).toEqual(started);
    const failed = foldDeliveryHistory([
      event("CourierDeliveryStarted", 1, started),
      event("CourierDeliveryFailed", 2),
    ]);
    expect(failed).toEqual({
      version: 2,
      outcome: "pending",
      inFlight: undefined,
      failedAttempts: 1,
    });
    const sent = foldDeliveryHistory([
      event("CourierDeliveryStarted", 1, started),
      event("CourierMessageSent", 2),
    ]);
    expect(sent.outcome).toBe("sent");
  });
});
