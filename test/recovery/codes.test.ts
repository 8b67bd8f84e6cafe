import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  challengeSecretMatches,
  generateCode,
  generateLinkToken,
  hashChallengeSecret,
  linkTokenPattern,
} from "../../src/flows/codes.ts";
import {
  codeSubmissionsCounter,
  issueChallenge,
  matchChallenge,
} from "../../src/flows/codes-challenge.ts";
import { saveChallengeFlow, useChallenge } from "../../src/flows/codes-store.ts";
import { type Flow, FlowStore } from "../../src/flows/flow-store.ts";
import { parseExpiresIn } from "../../src/http/admin/recovery-expires-in.ts";
import { RegistrarError } from "../../src/http/errors.ts";
import { ClaimKeyHasher } from "../../src/personal-data/claim-key.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";

const hasher = new ClaimKeyHasher(randomBytes(32));
const flowId = "6f1e2d3c-4b5a-4968-8776-655443322110";
const now = new Date("2026-01-01T10:00:00.000Z");
const later = new Date("2026-01-01T10:15:00.000Z");

function flowWith(internal: Record<string, unknown>, id = flowId): Flow {
  return {
    id,
    kind: "recovery",
    flowType: "api",
    state: "sent_email",
    requestUrl: "http://127.0.0.1/self-service/recovery/api",
    returnTo: null,
    identityId: null,
    sessionId: null,
    ui: { action: "http://127.0.0.1/self-service/recovery", method: "POST", nodes: [] },
    internal,
    issuedAt: now,
    expiresAt: later,
  };
}

describe("code generation", () => {
  it("generates six digits", () => {
    for (let index = 0; index < 200; index += 1) {
      expect(generateCode()).toMatch(/^\d{6}$/);
    }
  });

  it("generates distinct codes", () => {
    const codes = new Set(Array.from({ length: 200 }, generateCode));
    expect(codes.size).toBeGreaterThan(190);
  });

  it("generates 256-bit link tokens", () => {
    const token = generateLinkToken();
    expect(token).toMatch(linkTokenPattern);
    expect(Buffer.from(token, "base64url")).toHaveLength(32);
  });
});

describe("code hashing", () => {
  it("binds hash to flow and method", () => {
    const hash = hashChallengeSecret(hasher, flowId, "code", "123456");
    expect(hash).not.toContain("123456");
    expect(hashChallengeSecret(hasher, flowId, "link", "123456")).not.toBe(hash);
    expect(hashChallengeSecret(hasher, `${flowId}x`, "code", "123456")).not.toBe(hash);
  });

  it("matches only the same secret", () => {
    const hash = hashChallengeSecret(hasher, flowId, "code", "123456");
    expect(challengeSecretMatches(hasher, flowId, "code", "123456", hash)).toBe(true);
    expect(challengeSecretMatches(hasher, flowId, "code", "123457", hash)).toBe(false);
    expect(challengeSecretMatches(hasher, flowId, "code", "123456", "short")).toBe(false);
  });
});

describe("challenge matching", () => {
  const { challenge, secret } = issueChallenge(
    hasher,
    flowId,
    { method: "code", identityId: null, address: "a@example.com" },
    later,
  );

  it("matches unexpired unused code", () => {
    const flow = flowWith({ challenge });
    expect(matchChallenge(hasher, flow, "code", secret, now)).toEqual(challenge);
  });

  it("rejects expired code", () => {
    const flow = flowWith({ challenge });
    expect(matchChallenge(hasher, flow, "code", secret, later)).toBeUndefined();
  });

  it("rejects used code", () => {
    const flow = flowWith({ challenge: { ...challenge, usedAt: now.toISOString() } });
    expect(matchChallenge(hasher, flow, "code", secret, now)).toBeUndefined();
  });

  it("rejects code as link token", () => {
    const flow = flowWith({ challenge });
    expect(matchChallenge(hasher, flow, "link", secret, now)).toBeUndefined();
  });

  it("rejects flow without challenge", () => {
    expect(matchChallenge(hasher, flowWith({}), "code", secret, now)).toBeUndefined();
  });
});

describe("expires_in parsing", () => {
  it("parses Go durations", () => {
    expect(parseExpiresIn("15m")).toBe(900_000);
    expect(parseExpiresIn("1h30m")).toBe(5_400_000);
    expect(parseExpiresIn("1.5h")).toBe(5_400_000);
    expect(parseExpiresIn("2500ms")).toBe(2_500);
  });

  it("rejects invalid durations", () => {
    for (const value of ["", "15", "1d", "-1h", "0s", "169h", "1h ", "h"]) {
      expect(() => parseExpiresIn(value), value).toThrow(RegistrarError);
    }
  });
});

describe("challenge storage", () => {
  let database: TestDatabase;
  let flows: FlowStore;

  beforeAll(async () => {
    database = await createTestDatabase("codes_store");
    flows = new FlowStore(database.pool);
  });

  afterAll(async () => {
    await database?.drop();
  });

  async function createFlow(): Promise<Flow> {
    return flows.create({
      kind: "recovery",
      flowType: "api",
      state: "choose_method",
      requestUrl: "http://127.0.0.1/self-service/recovery/api",
      returnTo: null,
      identityId: null,
      sessionId: null,
      internal: {},
      lifespanMs: 60_000,
      ui: () => ({ action: "http://127.0.0.1/self-service/recovery", method: "POST", nodes: [] }),
    });
  }

  it("keeps counter raised meanwhile", async () => {
    const flow = await createFlow();
    await flows.increment(flow.id, codeSubmissionsCounter);
    await flows.increment(flow.id, codeSubmissionsCounter);
    await saveChallengeFlow(database.pool, {
      ...flow,
      internal: { [codeSubmissionsCounter]: 0, active: "code" },
    });

    const stored = await flows.find(flow.id, "recovery");
    expect(stored?.internal[codeSubmissionsCounter]).toBe(2);
    expect(stored?.internal.active).toBe("code");
  });

  it("drops stale counter when none stored", async () => {
    const flow = await createFlow();
    await saveChallengeFlow(database.pool, { ...flow, internal: { [codeSubmissionsCounter]: 4 } });
    const stored = await flows.find(flow.id, "recovery");
    expect(stored?.internal).toEqual({});
  });

  it("uses challenge only once", async () => {
    const flow = await createFlow();
    const { challenge } = issueChallenge(
      hasher,
      flow.id,
      { method: "code", identityId: null, address: null },
      later,
    );
    await saveChallengeFlow(database.pool, { ...flow, internal: { challenge } });

    const results = await Promise.all(
      Array.from({ length: 5 }, () => useChallenge(database.pool, flow.id, challenge.id, now)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await useChallenge(database.pool, flow.id, "other", now)).toBe(false);
  });
});
