import { describe, expect, it } from "vitest";
import { erasedMarker } from "../../src/domain/identity/erased-fields.ts";
import { foldIdentity, type IdentityEvent } from "../../src/domain/identity/index.ts";

const identityId = "3f1d8c6e-0a4b-4c1e-9b7e-5d2a1c3b4e5f";
const at = "2026-01-01T00:00:00.000Z";

describe("folding an erased identity's history", () => {
  it("reads erased personal fields as empty values", () => {
    const events = [
      {
        type: "IdentityRegistered",
        data: {
          identityId,
          schemaId: "default",
          traits: erasedMarker,
          credentials: erasedMarker,
          verifiableAddresses: erasedMarker,
          recoveryAddresses: erasedMarker,
          registeredAt: at,
        },
      },
      {
        type: "SessionIssued",
        data: {
          identityId,
          sessionId: "8a1c2e3f-4b5d-4e6f-8a9b-0c1d2e3f4a5b",
          tokenHash: "a".repeat(64),
          aal: "aal1",
          authenticationMethods: [{ method: "password", aal: "aal1", completedAt: at }],
          issuedAt: at,
          authenticatedAt: at,
          expiresAt: "2026-01-02T00:00:00.000Z",
          device: erasedMarker,
        },
      },
      {
        type: "IdentityErased",
        data: { identityId, reason: "data_subject_request", erasedAt: at },
      },
    ] as unknown as IdentityEvent[];

    const state = foldIdentity(events);
    expect(state.status).toBe("removed");
    expect(foldIdentity(events.slice(0, 2)).status).toBe("existing");
  });
});
