import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { foldDeliveryHistory } from "../../src/courier/courier-events.ts";
import { describeDeliveryError } from "../../src/courier/mail-transport.ts";
import {
  courierEventTypes,
  extractMessageRequest,
  InvalidMessageRequestError,
  readMessageId,
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
  code: "123456",
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
      messageId: codeData.messageId,
      flowId: codeData.flowId,
      identityId,
      template: "verification_code_valid",
      address: "ada@example.com",
      code: "123456",
      link: undefined,
      expiresAt: new Date(codeData.expiresAt),
    });
  });

  it("accepts erased fields", () => {
    const data = { ...codeData, address: "[erased]", code: "[erased]" };
    const request = extractMessageRequest(requestEvent("VerificationMessageRequested", data));

    expect(request.address).toBe("[erased]");
    expect(request.code).toBe("[erased]");
  });

  it("rejects a template of the other flow", () => {
    const event = requestEvent("RecoveryMessageRequested", codeData);
    expect(rejection(event)).toBe(
      "RecoveryMessageRequested cannot use template verification_code_valid",
    );
  });

  it("rejects a code template without code", () => {
    const { code: _, ...data } = codeData;
    expect(rejection(requestEvent("VerificationMessageRequested", data))).toBe(
      "VerificationMessageRequested with verification_code_valid needs a code",
    );
  });

  it("rejects a malformed code without echoing it", () => {
    const data = { ...codeData, code: "12345x" };
    const message = rejection(requestEvent("VerificationMessageRequested", data));
    expect(message).toBe("VerificationMessageRequested has an invalid field: code");
  });

  it("rejects a javascript link", () => {
    const data = {
      ...codeData,
      template: "recovery_valid",
      code: undefined,
      link: "javascript:alert(1)",
    };
    expect(rejection(requestEvent("RecoveryMessageRequested", data))).toBe(
      "RecoveryMessageRequested has an invalid field: link",
    );
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
