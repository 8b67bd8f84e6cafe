import { describe, expect, it } from "vitest";
import type { ReplaceIdentity, UpdateTraits } from "../../../src/domain/identity/index.ts";
import { foldIdentity } from "../../../src/domain/identity/index.ts";
import {
  addressId,
  decideAfter,
  identityId,
  recoveryId,
  registered,
  sessionId,
  sessionIssued,
  t0,
  t1,
  t2,
  tomorrow,
} from "./fixtures.ts";

const newAddressId = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a";
const newRecoveryId = "8c7b6a5f-4e3d-4c2b-9a1f-0e9d8c7b6a5f";

const updateTraits: UpdateTraits = {
  type: "UpdateTraits",
  identityId,
  traits: { email: "alice@example.com", name: "Alice" },
  identifiers: { password: ["alice@example.com"] },
  verifiableAddresses: [{ id: newAddressId, value: "alice@example.com", via: "email" }],
  recoveryAddresses: [{ id: newRecoveryId, value: "alice@example.com", via: "email" }],
  now: t1,
};

const addressVerified = {
  type: "AddressVerified" as const,
  data: {
    identityId,
    addressId,
    via: "email" as const,
    value: "alice@example.com",
    verifiedAt: t1,
  },
};

describe("UpdateTraits", () => {
  it("updates traits and keeps address ids", () => {
    expect(decideAfter([registered], updateTraits)).toEqual({
      events: [
        {
          type: "IdentityTraitsUpdated",
          data: {
            identityId,
            schemaId: "default",
            traits: { email: "alice@example.com", name: "Alice" },
            identifiersAdded: [],
            identifiersRemoved: [],
            verifiableAddresses: [
              {
                id: addressId,
                value: "alice@example.com",
                via: "email",
                status: "pending",
                verified: false,
                verifiedAt: null,
              },
            ],
            recoveryAddresses: [{ id: recoveryId, value: "alice@example.com", via: "email" }],
            updatedAt: t1,
          },
        },
      ],
    });
  });

  it("records identifier diff on email change", () => {
    const decision = decideAfter([registered], {
      ...updateTraits,
      traits: { email: "alice@new.example" },
      identifiers: { password: ["Alice@New.Example"] },
      verifiableAddresses: [{ id: newAddressId, value: "alice@new.example", via: "email" }],
    });
    expect(decision).toMatchObject({
      events: [
        {
          data: {
            identifiersAdded: [{ credentialType: "password", identifier: "alice@new.example" }],
            identifiersRemoved: [{ credentialType: "password", identifier: "alice@example.com" }],
            verifiableAddresses: [{ id: newAddressId, status: "pending", verified: false }],
          },
        },
      ],
    });
  });

  it("keeps verification of unchanged address", () => {
    const decision = decideAfter([registered, addressVerified], {
      ...updateTraits,
      traits: { email: "alice@example.com", name: "A" },
    });
    expect(decision).toMatchObject({
      events: [
        {
          data: {
            verifiableAddresses: [
              { id: addressId, status: "completed", verified: true, verifiedAt: t1 },
            ],
          },
        },
      ],
    });
  });

  it("emits nothing when nothing changed", () => {
    const decision = decideAfter([registered], {
      ...updateTraits,
      traits: { email: "alice@example.com" },
    });
    expect(decision).toEqual({ events: [] });
  });

  it("rejects empty schema id", () => {
    expect(decideAfter([registered], { ...updateTraits, schemaId: "" })).toEqual({
      code: "invalid_argument",
      field: "schema_id",
      reason: "the schema id is empty",
    });
  });

  it("rejects update of unknown identity", () => {
    expect(decideAfter([], updateTraits)).toEqual({ code: "identity_not_found", identityId });
  });

  it("folds identifier changes into credentials", () => {
    const decision = decideAfter([registered], {
      ...updateTraits,
      identifiers: { password: ["alice@new.example"], code: ["alice@example.com"] },
    });
    if (!("events" in decision)) throw new Error(`unexpected ${decision.code}`);
    const state = foldIdentity([registered, ...decision.events]);
    if (state.status !== "existing") throw new Error("identity missing");

    expect(state.identity.credentials.password?.identifiers).toEqual(["alice@new.example"]);
    expect(state.identity.credentials.password?.config.hashedPassword).toBe(
      registered.data.credentials.password?.config.hashedPassword,
    );
    expect(state.identity.credentials.code?.identifiers).toEqual(["alice@example.com"]);
    expect(state.identity.traits).toEqual({ email: "alice@example.com", name: "Alice" });
    expect(state.identity.updatedAt).toBe(t1);
  });
});

describe("SetMetadata", () => {
  it("replaces metadata", () => {
    const decision = decideAfter([registered], {
      type: "SetMetadata",
      identityId,
      metadataPublic: { tier: 1 },
      now: t1,
    });
    expect(decision).toEqual({
      events: [
        {
          type: "IdentityMetadataUpdated",
          data: { identityId, metadataPublic: { tier: 1 }, metadataAdmin: null, updatedAt: t1 },
        },
      ],
    });
  });

  it("emits nothing for equal metadata", () => {
    const decision = decideAfter([registered], {
      type: "SetMetadata",
      identityId,
      metadataPublic: null,
      metadataAdmin: null,
      now: t1,
    });
    expect(decision).toEqual({ events: [] });
  });
});

describe("ReplaceIdentity", () => {
  const replace: ReplaceIdentity = {
    type: "ReplaceIdentity",
    identityId,
    schemaId: "default",
    traits: { email: "alice@example.com" },
    state: "active",
    identifiers: { password: ["alice@example.com"] },
    verifiableAddresses: [{ id: newAddressId, value: "alice@example.com", via: "email" }],
    recoveryAddresses: [{ id: newRecoveryId, value: "alice@example.com", via: "email" }],
    metadataPublic: null,
    metadataAdmin: null,
    externalId: null,
    now: t2,
  };

  it("emits nothing for identical identity", () => {
    expect(decideAfter([registered], replace)).toEqual({ events: [] });
  });

  it("emits one event per changed part", () => {
    const given = [registered, sessionIssued(sessionId, t0, tomorrow)];
    const decision = decideAfter(given, {
      ...replace,
      verifiableAddresses: [
        { id: newAddressId, value: "alice@example.com", via: "email", verified: true },
      ],
      metadataAdmin: { flagged: true },
      externalId: "crm-7",
      password: { hashedPassword: "$2b$04$replacement" },
      state: "inactive",
    });
    if (!("events" in decision)) throw new Error(`unexpected ${decision.code}`);

    expect(decision.events.map((event) => event.type)).toEqual([
      "IdentityTraitsUpdated",
      "IdentityMetadataUpdated",
      "IdentityExternalIdChanged",
      "PasswordChanged",
      "IdentityDeactivated",
      "SessionRevoked",
    ]);
    expect(decision.events[0]).toMatchObject({
      data: { verifiableAddresses: [{ id: addressId, verified: true, verifiedAt: t2 }] },
    });
    expect(decision.events[5]).toMatchObject({
      data: { sessionId, reason: "identity_deactivated", revokedAt: t2 },
    });
  });

  it("revokes sessions when it sets a password", () => {
    const given = [registered, sessionIssued(sessionId, t0, tomorrow)];
    const decision = decideAfter(given, {
      ...replace,
      password: { hashedPassword: "$2b$04$replacement" },
    });
    if (!("events" in decision)) throw new Error(`unexpected ${decision.code}`);

    expect(decision.events.map((event) => event.type)).toEqual([
      "PasswordChanged",
      "SessionRevoked",
    ]);
    expect(decision.events[1]).toMatchObject({
      data: { sessionId, reason: "password_changed", revokedAt: t2 },
    });
  });

  it("activates inactive identity", () => {
    const deactivated = {
      type: "IdentityDeactivated" as const,
      data: { identityId, deactivatedAt: t1 },
    };
    expect(decideAfter([registered, deactivated], replace)).toEqual({
      events: [{ type: "IdentityActivated", data: { identityId, activatedAt: t2 } }],
    });
  });
});
