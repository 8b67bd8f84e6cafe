import { describe, expect, it } from "vitest";
import type { CreateIdentity, RegisterIdentity } from "../../../src/domain/identity/index.ts";
import {
  addressId,
  decideAfter,
  hashedPassword,
  identityId,
  recoveryId,
  registered,
  t0,
  t1,
} from "./fixtures.ts";

const register: RegisterIdentity = {
  type: "RegisterIdentity",
  identityId,
  schemaId: "default",
  traits: { email: "alice@example.com" },
  identifiers: { password: ["  Alice@Example.COM "] },
  password: { hashedPassword },
  verifiableAddresses: [{ id: addressId, value: "Alice@example.com", via: "email" }],
  recoveryAddresses: [{ id: recoveryId, value: "alice@EXAMPLE.com", via: "email" }],
  now: t0,
};

const create: CreateIdentity = {
  type: "CreateIdentity",
  identityId,
  schemaId: "default",
  traits: { email: "bob@example.com" },
  state: "inactive",
  identifiers: { password: ["bob@example.com"] },
  password: { hashedPassword: "$2b$10$abcdefghijklmnopqrstuuJ0aVdVh8y6wq1lJm3FvG7vQe2ZcLqKa" },
  verifiableAddresses: [
    { id: addressId, value: "bob@example.com", via: "email", verified: true, verifiedAt: t0 },
  ],
  recoveryAddresses: [],
  metadataPublic: { plan: "free" },
  metadataAdmin: { note: "imported" },
  externalId: "crm-42",
  now: t1,
};

describe("RegisterIdentity", () => {
  it("registers identity with normalized identifiers", () => {
    expect(decideAfter([], register)).toEqual({ events: [registered] });
  });

  it("rejects registration without a password", () => {
    const { password: _, ...withoutPassword } = register;
    expect(decideAfter([], withoutPassword)).toEqual({ code: "credential_missing" });
  });

  it("rejects password without identifiers", () => {
    expect(decideAfter([], { ...register, identifiers: {} })).toEqual({
      code: "credential_identifier_missing",
      credentialType: "password",
    });
  });

  it("rejects blank identifier", () => {
    expect(decideAfter([], { ...register, identifiers: { password: ["  "] } })).toEqual({
      code: "identifier_invalid",
      field: "identifiers.password[0]",
      reason: "empty",
      maxLength: 320,
    });
  });

  it("rejects empty password hash", () => {
    expect(decideAfter([], { ...register, password: { hashedPassword: "" } })).toMatchObject({
      code: "invalid_argument",
      field: "credentials.password.hashed_password",
    });
  });

  it("rejects second registration on stream", () => {
    expect(decideAfter([registered], register)).toEqual({
      code: "identity_already_exists",
      identityId,
    });
  });

  it("ignores verified flags from self-service", () => {
    const sneaky = {
      ...register,
      verifiableAddresses: [
        { id: addressId, value: "alice@example.com", via: "email" as const, verified: true },
      ],
    };
    const decision = decideAfter([], sneaky);
    expect(decision).toMatchObject({
      events: [{ data: { verifiableAddresses: [{ verified: false, status: "pending" }] } }],
    });
  });

  it("drops duplicate addresses after normalization", () => {
    const decision = decideAfter([], {
      ...register,
      recoveryAddresses: [
        { id: recoveryId, value: "alice@example.com", via: "email" },
        { id: addressId, value: "ALICE@example.com ", via: "email" },
      ],
    });
    expect(decision).toMatchObject({
      events: [{ data: { recoveryAddresses: [{ id: recoveryId, value: "alice@example.com" }] } }],
    });
  });
});

describe("CreateIdentity", () => {
  it("imports identity with hash and verified address", () => {
    expect(decideAfter([], create)).toEqual({
      events: [
        {
          type: "IdentityCreated",
          data: {
            identityId,
            schemaId: "default",
            state: "inactive",
            traits: { email: "bob@example.com" },
            credentials: {
              password: {
                identifiers: ["bob@example.com"],
                config: { hashedPassword: create.password?.hashedPassword },
              },
            },
            verifiableAddresses: [
              {
                id: addressId,
                value: "bob@example.com",
                via: "email",
                status: "completed",
                verified: true,
                verifiedAt: t0,
              },
            ],
            recoveryAddresses: [],
            metadataPublic: { plan: "free" },
            metadataAdmin: { note: "imported" },
            externalId: "crm-42",
            createdAt: t1,
          },
        },
      ],
    });
  });

  it("creates active identity without credentials", () => {
    const decision = decideAfter([], {
      ...create,
      state: undefined,
      password: undefined,
      identifiers: {},
      externalId: "",
      metadataPublic: undefined,
      metadataAdmin: undefined,
    });
    expect(decision).toMatchObject({
      events: [
        {
          type: "IdentityCreated",
          data: {
            state: "active",
            credentials: {},
            externalId: null,
            metadataPublic: null,
            metadataAdmin: null,
          },
        },
      ],
    });
  });

  it("marks address with completed status verified", () => {
    const decision = decideAfter([], {
      ...create,
      verifiableAddresses: [
        { id: addressId, value: "bob@example.com", via: "email", status: "completed" },
      ],
    });
    expect(decision).toMatchObject({
      events: [{ data: { verifiableAddresses: [{ verified: true, verifiedAt: t1 }] } }],
    });
  });

  it("rejects empty schema id", () => {
    expect(decideAfter([], { ...create, schemaId: "" })).toMatchObject({
      code: "invalid_argument",
      field: "schema_id",
    });
  });

  it("rejects address longer than 320 code points", () => {
    const long = `${"a".repeat(310)}@example.com`;
    const decision = decideAfter([], {
      ...create,
      verifiableAddresses: [{ id: addressId, value: long, via: "email" }],
    });
    expect(decision).toEqual({
      code: "identifier_invalid",
      field: "verifiable_addresses[0].value",
      reason: "too_long",
      maxLength: 320,
    });
  });
});
