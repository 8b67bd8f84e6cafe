import { describe, expect, it } from "vitest";
import {
  foldIdentity,
  type IdentityEvent,
  personalFieldsOf,
  type RequestRecoveryMessage,
  type RequestVerificationMessage,
} from "../../../src/domain/identity/index.ts";
import {
  addressId,
  decideAfter,
  identityId,
  recoveryId,
  registered,
  t0,
  t1,
  t2,
} from "./fixtures.ts";

const messageId = "9c8b7a65-4321-4fed-8cba-987654321000";
const flowId = "1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d";

const verificationCommand: RequestVerificationMessage = {
  type: "RequestVerificationMessage",
  identityId,
  messageId,
  flowId,
  template: "verification_code_valid",
  via: "email",
  address: " Alice@Example.com ",
  code: "042917",
  expiresAt: t2,
  now: t1,
};

const recoveryCommand: RequestRecoveryMessage = {
  type: "RequestRecoveryMessage",
  identityId,
  messageId,
  flowId,
  template: "recovery_valid",
  via: "email",
  address: "alice@example.com",
  link: "https://auth.example.com/self-service/recovery?flow=x&token=y",
  expiresAt: t2,
  now: t1,
};

const deactivated: IdentityEvent = {
  type: "IdentityDeactivated",
  data: { identityId, deactivatedAt: t0 },
};

describe("RequestVerificationMessage", () => {
  it("requests code for verifiable address", () => {
    expect(decideAfter([registered], verificationCommand)).toEqual({
      events: [
        {
          type: "VerificationMessageRequested",
          data: {
            identityId,
            messageId,
            flowId,
            template: "verification_code_valid",
            addressId,
            via: "email",
            address: "alice@example.com",
            expiresAt: t2,
            requestedAt: t1,
          },
        },
      ],
    });
  });

  it("keeps the code out of the event", () => {
    const decision = decideAfter([registered], verificationCommand);
    if (!("events" in decision)) throw new Error(`unexpected ${decision.code}`);
    expect(decision.events[0]!.data).not.toHaveProperty("code");
    expect(decision.events[0]!.data).not.toHaveProperty("link");
    expect(JSON.stringify(decision.events)).not.toContain("042917");
  });

  it("rejects unknown address", () => {
    expect(
      decideAfter([registered], { ...verificationCommand, address: "bob@example.com" }),
    ).toEqual({ code: "address_not_found", via: "email" });
  });

  it("rejects unknown identity", () => {
    expect(decideAfter([], verificationCommand)).toEqual({
      code: "identity_not_found",
      identityId,
    });
  });

  it("rejects malformed code", () => {
    const decision = decideAfter([registered], { ...verificationCommand, code: "12345" });
    expect(decision).toMatchObject({ code: "invalid_argument", field: "code" });
  });

  it("rejects code template with link", () => {
    const decision = decideAfter([registered], {
      ...verificationCommand,
      link: "https://auth.example.com/x",
    });
    expect(decision).toMatchObject({ code: "invalid_argument", field: "link" });
  });

  it("rejects link template without link", () => {
    const decision = decideAfter([registered], {
      ...verificationCommand,
      template: "verification_valid",
      code: undefined,
    });
    expect(decision).toMatchObject({ code: "invalid_argument", field: "link" });
  });

  it("rejects non-http link", () => {
    const decision = decideAfter([registered], {
      ...verificationCommand,
      template: "verification_valid",
      code: undefined,
      link: "javascript:alert(1)",
    });
    expect(decision).toMatchObject({ code: "invalid_argument", field: "link" });
  });

  it("rejects sms channel", () => {
    const decision = decideAfter([registered], { ...verificationCommand, via: "sms" });
    expect(decision).toMatchObject({ code: "invalid_argument", field: "via" });
  });

  it("rejects expiry not after now", () => {
    const decision = decideAfter([registered], { ...verificationCommand, expiresAt: t1 });
    expect(decision).toMatchObject({ code: "invalid_argument", field: "expiresAt" });
  });

  it("rejects unparsable expiry", () => {
    const decision = decideAfter([registered], { ...verificationCommand, expiresAt: "soon" });
    expect(decision).toMatchObject({ code: "invalid_argument", field: "expiresAt" });
  });
});

describe("RequestRecoveryMessage", () => {
  it("requests link for recovery address", () => {
    const decision = decideAfter([registered], recoveryCommand);
    expect(decision).toEqual({
      events: [
        {
          type: "RecoveryMessageRequested",
          data: {
            identityId,
            messageId,
            flowId,
            template: "recovery_valid",
            addressId: recoveryId,
            via: "email",
            address: "alice@example.com",
            expiresAt: t2,
            requestedAt: t1,
          },
        },
      ],
    });
  });

  it("keeps the link out of the event", () => {
    const decision = decideAfter([registered], recoveryCommand);
    if (!("events" in decision)) throw new Error(`unexpected ${decision.code}`);
    expect(decision.events[0]!.data).not.toHaveProperty("link");
    expect(JSON.stringify(decision.events)).not.toContain("token=y");
  });

  it("rejects inactive identity", () => {
    expect(decideAfter([registered, deactivated], recoveryCommand)).toEqual({
      code: "identity_inactive",
      identityId,
    });
  });

  it("rejects unknown recovery address", () => {
    expect(
      decideAfter([registered], { ...recoveryCommand, address: "mallory@example.com" }),
    ).toEqual({ code: "address_not_found", via: "email" });
  });
});

describe("message request folding", () => {
  const verificationRequested = (requestedAt: string): IdentityEvent => ({
    type: "VerificationMessageRequested",
    data: {
      identityId,
      messageId,
      flowId,
      template: "verification_code_valid",
      addressId,
      via: "email",
      address: "alice@example.com",
      expiresAt: t2,
      requestedAt,
    },
  });

  it("marks verifiable address sent", () => {
    const state = foldIdentity([registered, verificationRequested(t1)]);
    if (state.status !== "existing") throw new Error("identity missing");
    expect(state.identity.verifiableAddresses[0]).toMatchObject({
      status: "sent",
      verified: false,
      updatedAt: t1,
    });
    expect(state.identity.updatedAt).toBe(t0);
  });

  it("keeps verified address completed", () => {
    const verified: IdentityEvent = {
      type: "AddressVerified",
      data: { identityId, addressId, via: "email", value: "alice@example.com", verifiedAt: t1 },
    };
    const state = foldIdentity([registered, verified, verificationRequested(t2)]);
    if (state.status !== "existing") throw new Error("identity missing");
    expect(state.identity.verifiableAddresses[0]).toMatchObject({
      status: "completed",
      verified: true,
    });
  });

  it("leaves identity unchanged on recovery request", () => {
    const before = foldIdentity([registered]);
    const decision = decideAfter([registered], recoveryCommand);
    if (!("events" in decision)) throw new Error(`unexpected ${decision.code}`);
    expect(foldIdentity([registered, ...decision.events])).toEqual(before);
  });

  it("encrypts the address", () => {
    expect(personalFieldsOf("VerificationMessageRequested")).toEqual(["address"]);
    expect(personalFieldsOf("RecoveryMessageRequested")).toEqual(["address"]);
  });
});
