import type { IdentityView } from "../../../src/http/kratos/identity-json.ts";
import type { SessionView } from "../../../src/http/kratos/session-json.ts";

export const PUBLIC_BASE_URL = "https://auth.example.com";
export const NOW = new Date("2026-01-01T10:00:00.000Z");
export const IDENTITY_ID = "7b6c3a4e-1f2d-4c5b-8a9e-0d1c2b3a4f5e";

/** Builds an identity with every optional part filled. */
export function fullIdentity(): IdentityView {
  return {
    id: IDENTITY_ID,
    schemaId: "default",
    state: "active",
    stateChangedAt: new Date("2025-12-31T09:00:00.000Z"),
    traits: { email: "ada@example.com", name: { first: "Ada" }, age: 36, tos: true },
    verifiableAddresses: [
      {
        id: "1f0e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
        value: "ada@example.com",
        verified: true,
        via: "email",
        status: "completed",
        verifiedAt: new Date("2025-12-31T09:05:00.000Z"),
        createdAt: new Date("2025-12-31T09:00:00.000Z"),
        updatedAt: new Date("2025-12-31T09:05:00.000Z"),
      },
      {
        id: "2f0e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
        value: "ada@work.example.com",
        verified: false,
        via: "email",
        status: "pending",
        verifiedAt: null,
        createdAt: new Date("2025-12-31T09:00:00.000Z"),
        updatedAt: new Date("2025-12-31T09:00:00.000Z"),
      },
    ],
    recoveryAddresses: [
      {
        id: "3f0e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
        value: "ada@example.com",
        via: "email",
        createdAt: new Date("2025-12-31T09:00:00.000Z"),
        updatedAt: new Date("2025-12-31T09:00:00.000Z"),
      },
    ],
    metadataPublic: { plan: "free" },
    metadataAdmin: { note: "imported" },
    credentials: [
      {
        type: "password",
        identifiers: ["ada@example.com"],
        config: { hashed_password: "$argon2id$v=19$m=65536,t=1,p=2$c2FsdA$aGFzaA" },
        version: 0,
        createdAt: new Date("2025-12-31T09:00:00.000Z"),
        updatedAt: new Date("2025-12-31T09:00:00.000Z"),
      },
      {
        type: "totp",
        identifiers: [IDENTITY_ID],
        config: { totp_url: "otpauth://totp/Example:ada?secret=JBSWY3DPEHPK3PXP" },
        version: 0,
        createdAt: new Date("2025-12-31T09:10:00.000Z"),
        updatedAt: new Date("2025-12-31T09:10:00.000Z"),
      },
    ],
    createdAt: new Date("2025-12-31T09:00:00.000Z"),
    updatedAt: new Date("2025-12-31T09:10:00.000Z"),
    organizationId: null,
    externalId: "crm-4711",
  };
}

/** Builds an identity with every optional part empty. */
export function bareIdentity(): IdentityView {
  return {
    ...fullIdentity(),
    stateChangedAt: null,
    verifiableAddresses: [],
    recoveryAddresses: [],
    metadataPublic: null,
    metadataAdmin: null,
    credentials: [],
    externalId: null,
  };
}

export function aal2Session(): SessionView {
  return {
    id: "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d",
    active: true,
    expiresAt: new Date("2026-01-02T10:00:00.000Z"),
    authenticatedAt: NOW,
    issuedAt: NOW,
    authenticatorAssuranceLevel: "aal2",
    authenticationMethods: [
      { method: "password", aal: "aal1", completedAt: NOW },
      { method: "totp", aal: "aal2", completedAt: new Date("2026-01-01T10:00:30.000Z") },
      {
        method: "oidc",
        aal: "aal1",
        completedAt: NOW,
        provider: "google",
        upstreamAcr: "urn:acr:1",
        upstreamAmr: ["pwd"],
      },
    ],
    identity: fullIdentity(),
    devices: [
      {
        id: "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        ipAddress: "192.0.2.10",
        userAgent: "Mozilla/5.0",
        location: "Berlin, DE",
      },
    ],
  };
}
