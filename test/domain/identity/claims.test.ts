import { describe, expect, it } from "vitest";
import type { IdentityEvent } from "../../../src/domain/identity/index.ts";
import {
  claimChanges,
  foldIdentity,
  identityEventTypes,
  identityStreamId,
  initialIdentityState,
  personalFields,
  personalFieldsOf,
} from "../../../src/domain/identity/index.ts";
import {
  addressId,
  identityId,
  recoveryId,
  registered,
  sessionId,
  sessionIssued,
  t1,
  t2,
  tomorrow,
} from "./fixtures.ts";

const emailClaims = [
  { type: "identifier:password", value: "alice@example.com" },
  { type: "verifiable_address:email", value: "alice@example.com" },
  { type: "recovery_address:email", value: "alice@example.com" },
];

const emailChanged: IdentityEvent = {
  type: "IdentityTraitsUpdated",
  data: {
    identityId,
    schemaId: "default",
    traits: { email: "alice@new.example" },
    identifiersAdded: [{ credentialType: "password", identifier: "alice@new.example" }],
    identifiersRemoved: [{ credentialType: "password", identifier: "alice@example.com" }],
    verifiableAddresses: [
      {
        id: addressId,
        value: "alice@new.example",
        via: "email",
        status: "pending",
        verified: false,
        verifiedAt: null,
      },
    ],
    recoveryAddresses: [{ id: recoveryId, value: "alice@new.example", via: "email" }],
    updatedAt: t1,
  },
};

describe("identityStreamId", () => {
  it("prefixes identity id", () => {
    expect(identityStreamId(identityId)).toBe(`identity-${identityId}`);
  });
});

describe("claimChanges", () => {
  it("claims identifier and addresses on registration", () => {
    expect(claimChanges(initialIdentityState, [registered])).toEqual({
      claims: emailClaims,
      releases: [],
    });
  });

  it("swaps claims when email changes", () => {
    const changes = claimChanges(foldIdentity([registered]), [emailChanged]);
    expect(changes.claims).toEqual(
      emailClaims.map((claim) => ({ ...claim, value: "alice@new.example" })),
    );
    expect(changes.releases).toEqual(emailClaims);
  });

  it("claims and releases external id", () => {
    const set: IdentityEvent = {
      type: "IdentityExternalIdChanged",
      data: { identityId, externalId: "crm-1", changedAt: t1 },
    };
    const cleared: IdentityEvent = {
      type: "IdentityExternalIdChanged",
      data: { identityId, externalId: null, changedAt: t2 },
    };
    expect(claimChanges(foldIdentity([registered]), [set])).toEqual({
      claims: [{ type: "external_id", value: "crm-1" }],
      releases: [],
    });
    expect(claimChanges(foldIdentity([registered, set]), [cleared])).toEqual({
      claims: [],
      releases: [{ type: "external_id", value: "crm-1" }],
    });
  });

  it("releases everything on erasure", () => {
    const before = foldIdentity([registered, sessionIssued(sessionId, t1, tomorrow)]);
    const erased: IdentityEvent = {
      type: "IdentityErased",
      data: { identityId, reason: "data_subject_request", erasedAt: t2 },
    };
    expect(claimChanges(before, [erased])).toEqual({ claims: [], releases: emailClaims });
  });

  it("releases everything on deletion", () => {
    const deleted: IdentityEvent = {
      type: "IdentityDeleted",
      data: { identityId, deletedAt: t2 },
    };
    expect(claimChanges(foldIdentity([registered]), [deleted]).releases).toEqual(emailClaims);
  });

  it("changes nothing for session events", () => {
    expect(
      claimChanges(foldIdentity([registered]), [sessionIssued(sessionId, t1, tomorrow)]),
    ).toEqual({ claims: [], releases: [] });
  });
});

describe("personalFields", () => {
  it("lists every event type", () => {
    expect(Object.keys(personalFields).sort()).toEqual([...identityEventTypes].sort());
  });

  it("names fields that exist in event data", () => {
    const samples: IdentityEvent[] = [
      registered,
      emailChanged,
      sessionIssued(sessionId, t1, tomorrow),
    ];
    for (const event of samples) {
      for (const field of personalFieldsOf(event.type)) {
        expect(Object.keys(event.data), `${event.type}.${field}`).toContain(field);
      }
    }
  });

  it("marks password hash, traits and device personal", () => {
    expect(personalFields.PasswordChanged).toContain("hashedPassword");
    expect(personalFields.IdentityRegistered).toContain("traits");
    expect(personalFields.IdentityRegistered).toContain("credentials");
    expect(personalFields.SessionIssued).toEqual(["device"]);
  });

  it("returns no fields for unknown type", () => {
    expect(personalFieldsOf("toString")).toEqual([]);
  });
});
