import { describe, expect, it } from "vitest";
import { foldIdentity } from "../../../src/domain/identity/index.ts";
import {
  addressId,
  decideAfter,
  hashedPassword,
  identityId,
  otherSessionId,
  registered,
  sessionId,
  sessionIssued,
  t0,
  t1,
  t2,
  tomorrow,
} from "./fixtures.ts";

const newHash = "$argon2id$v=19$m=19456,t=2,p=1$bmV3c2FsdG5ld3NhbHQ$bmV3aGFzaG5ld2hhc2g";

describe("ChangePassword", () => {
  it("changes password", () => {
    expect(
      decideAfter([registered], {
        type: "ChangePassword",
        identityId,
        hashedPassword: newHash,
        now: t1,
      }),
    ).toEqual({
      events: [
        { type: "PasswordChanged", data: { identityId, hashedPassword: newHash, changedAt: t1 } },
      ],
    });
  });

  it("replaces the expected hash", () => {
    const decision = decideAfter([registered], {
      type: "ChangePassword",
      identityId,
      hashedPassword: newHash,
      replacesHash: hashedPassword,
      now: t1,
    });
    expect(decision).toMatchObject({ events: [{ type: "PasswordChanged" }] });
  });

  it("rejects a hash changed in between", () => {
    expect(
      decideAfter([registered], {
        type: "ChangePassword",
        identityId,
        hashedPassword: newHash,
        replacesHash: "$2b$04$an.older.hash.than.the.stored.one",
        now: t1,
      }),
    ).toEqual({ code: "credential_changed", identityId });
  });

  it("revokes other sessions when asked", () => {
    const given = [
      registered,
      sessionIssued(sessionId, t0, tomorrow),
      sessionIssued(otherSessionId, t0, tomorrow),
    ];
    const decision = decideAfter(given, {
      type: "ChangePassword",
      identityId,
      hashedPassword: newHash,
      revokeOtherSessions: { exceptSessionId: sessionId },
      now: t1,
    });
    if (!("events" in decision)) throw new Error(`unexpected ${decision.code}`);
    expect(decision.events).toHaveLength(2);
    expect(decision.events[0]?.type).toBe("PasswordChanged");
    expect(decision.events[1]).toMatchObject({
      type: "SessionRevoked",
      data: { sessionId: otherSessionId, reason: "password_changed" },
    });
  });

  it("rejects empty hash", () => {
    expect(
      decideAfter([registered], {
        type: "ChangePassword",
        identityId,
        hashedPassword: "",
        now: t1,
      }),
    ).toMatchObject({ code: "invalid_argument", field: "password" });
  });

  it("creates password credential when missing", () => {
    const created = {
      type: "IdentityCreated" as const,
      data: {
        identityId,
        schemaId: "default",
        state: "active" as const,
        traits: {},
        credentials: {},
        verifiableAddresses: [],
        recoveryAddresses: [],
        metadataPublic: null,
        metadataAdmin: null,
        externalId: null,
        createdAt: t0,
      },
    };
    const state = foldIdentity([
      created,
      { type: "PasswordChanged", data: { identityId, hashedPassword: newHash, changedAt: t1 } },
    ]);
    expect(state).toMatchObject({
      identity: {
        credentials: {
          password: {
            type: "password",
            identifiers: [],
            config: { hashedPassword: newHash },
            createdAt: t1,
          },
        },
      },
    });
  });
});

describe("MarkAddressVerified", () => {
  it("verifies address found by normalized value", () => {
    expect(
      decideAfter([registered], {
        type: "MarkAddressVerified",
        identityId,
        via: "email",
        value: " ALICE@example.com",
        now: t1,
      }),
    ).toEqual({
      events: [
        {
          type: "AddressVerified",
          data: { identityId, addressId, via: "email", value: "alice@example.com", verifiedAt: t1 },
        },
      ],
    });
  });

  it("rejects unknown address", () => {
    expect(
      decideAfter([registered], {
        type: "MarkAddressVerified",
        identityId,
        via: "email",
        value: "mallory@example.com",
        now: t1,
      }),
    ).toEqual({ code: "address_not_found", via: "email" });
  });

  it("rejects address on other channel", () => {
    expect(
      decideAfter([registered], {
        type: "MarkAddressVerified",
        identityId,
        via: "sms",
        value: "alice@example.com",
        now: t1,
      }),
    ).toEqual({ code: "address_not_found", via: "sms" });
  });

  it("emits nothing for verified address", () => {
    const verified = {
      type: "AddressVerified" as const,
      data: {
        identityId,
        addressId,
        via: "email" as const,
        value: "alice@example.com",
        verifiedAt: t1,
      },
    };
    expect(
      decideAfter([registered, verified], {
        type: "MarkAddressVerified",
        identityId,
        via: "email",
        value: "alice@example.com",
        now: t2,
      }),
    ).toEqual({ events: [] });
  });

  it("folds verification into address", () => {
    const state = foldIdentity([
      registered,
      {
        type: "AddressVerified",
        data: { identityId, addressId, via: "email", value: "alice@example.com", verifiedAt: t1 },
      },
    ]);
    expect(state).toMatchObject({
      identity: {
        verifiableAddresses: [
          { id: addressId, status: "completed", verified: true, verifiedAt: t1, createdAt: t0 },
        ],
      },
    });
  });
});
