import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import {
  countEvents,
  flowMessageIds,
  goodPassword,
  login,
  mailsTo,
  publicCall,
  type Reply,
  register,
  settledEventCount,
  waitForMail,
} from "./support.ts";

// Every known address below is used for at most this many sends, so the per-address limit of
// the courier only takes effect in the test that is about it.
const sendsPerAddress = 3;
const rounds = 5;

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp("e2e_enumeration", {
    COURIER_SENDS_PER_ADDRESS: String(sendsPerAddress),
    COURIER_SENDS_PER_IP: "1000",
    LOGIN_ATTEMPTS_PER_IDENTIFIER: "1000",
    LOGIN_ATTEMPTS_PER_IP: "100000",
  });
  await register(app, "known@example.com");
  for (let round = 0; round < rounds; round += 1) {
    await register(app, `known${round}@example.com`);
  }
  await register(app, "limited@example.com");
});

afterAll(async () => {
  await app?.close();
});

/** Replaces what differs between two responses by design (ids, times, the address) with tags. */
function shapeOf(reply: Reply, address: string): string {
  return JSON.stringify(reply.body)
    .replaceAll(reply.body.id, "<flow>")
    .replaceAll(address, "<address>")
    .replace(/"\d{4}-\d\d-\d\dT[0-9:.]+Z"/g, '"<time>"');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

type ChallengeKind = "recovery" | "verification";

/** Creates a native flow, submits `address` for a code and returns the response with its time. */
async function requestCode(kind: ChallengeKind, address: string) {
  const flow = await publicCall(app, "GET", `/self-service/${kind}/api`);
  const started = performance.now();
  const reply = await publicCall(app, "POST", `/self-service/${kind}?flow=${flow.body.id}`, {
    json: { method: "code", email: address },
  });
  return { reply, ms: performance.now() - started };
}

const sentMessage = { recovery: 1060003, verification: 1080003 } as const;

describe("account enumeration", () => {
  for (const kind of ["recovery", "verification"] as const) {
    it(`hides unknown ${kind} addresses`, async () => {
      const known: number[] = [];
      const unknown: number[] = [];
      for (let round = 0; round < rounds; round += 1) {
        const knownAddress = `known${round}@example.com`;
        const unknownAddress = `${kind}-nobody${round}@example.com`;
        const hit = await requestCode(kind, knownAddress);
        const miss = await requestCode(kind, unknownAddress);
        known.push(hit.ms);
        unknown.push(miss.ms);

        expect(hit.reply.status, `known ${kind} status`).toBe(200);
        expect(miss.reply.status, `unknown ${kind} status`).toBe(200);
        expect(flowMessageIds(miss.reply.body), `unknown ${kind} messages`).toEqual([
          sentMessage[kind],
        ]);
        expect(shapeOf(miss.reply, unknownAddress), `${kind} response shape`).toBe(
          shapeOf(hit.reply, knownAddress),
        );
      }

      // Both paths wait for the minimum send duration of 250 ms.
      const knownMedian = median(known);
      const unknownMedian = median(unknown);
      expect(unknownMedian, `unknown ${kind} median ms`).toBeGreaterThanOrEqual(240);
      expect(knownMedian, `known ${kind} median ms`).toBeGreaterThanOrEqual(240);
      expect(Math.abs(knownMedian - unknownMedian), `${kind} median gap ms`).toBeLessThan(100);

      const subject = kind === "recovery" ? /recovery/i : /verification/i;
      await waitForMail(
        app,
        `known${rounds - 1}@example.com`,
        kind === "recovery" ? 0 : 1,
        subject,
      );
      for (let round = 0; round < rounds; round += 1) {
        const address = `${kind}-nobody${round}@example.com`;
        expect(mailsTo(app, address), `mail to ${address}`).toEqual([]);
      }
    });
  }

  it("hides the per-address send limit", async () => {
    const limited: Reply[] = [];
    const unknown: Reply[] = [];
    // The registration sent one verification mail already, so the last requests pass the limit.
    for (let round = 0; round <= sendsPerAddress; round += 1) {
      limited.push((await requestCode("recovery", "limited@example.com")).reply);
      unknown.push((await requestCode("recovery", "limit-nobody@example.com")).reply);
    }
    const expected = shapeOf(limited[0]!, "limited@example.com");
    for (const [round, reply] of limited.entries()) {
      expect(reply.status, `known request ${round + 1} status`).toBe(200);
      expect(shapeOf(reply, "limited@example.com"), `known request ${round + 1}`).toBe(expected);
    }
    for (const [round, reply] of unknown.entries()) {
      expect(reply.status, `unknown request ${round + 1} status`).toBe(200);
      expect(shapeOf(reply, "limit-nobody@example.com"), `unknown request ${round + 1}`).toBe(
        expected,
      );
    }

    // The limit took effect: fewer mails than requests, counting the registration's mail.
    await waitForMail(app, "limited@example.com", 1, /recovery/i);
    await sleep(500);
    expect(mailsTo(app, "limited@example.com").length, "mails to the limited address").toBe(
      sendsPerAddress,
    );
  });

  it("hides unknown login identifiers", async () => {
    const known: number[] = [];
    const unknown: number[] = [];
    for (let round = 0; round < rounds; round += 1) {
      let started = performance.now();
      const wrong = await login(app, "known@example.com", "not the passphrase 1234");
      known.push(performance.now() - started);
      started = performance.now();
      const missing = await login(app, `login-nobody${round}@example.com`, goodPassword);
      unknown.push(performance.now() - started);

      expect(wrong.status, "wrong password status").toBe(400);
      expect(missing.status, "unknown identifier status").toBe(400);
      expect(flowMessageIds(missing.body), "unknown identifier messages").toEqual([4000006]);
      expect(shapeOf(missing, `login-nobody${round}@example.com`), "login response shape").toBe(
        shapeOf(wrong, "known@example.com"),
      );
    }
    // NOTE: the test app hashes with cheap Argon2 parameters, so this bound only catches a gap
    // far larger than one hash. The self-service login tests measure with real parameters.
    expect(Math.abs(median(known) - median(unknown)), "login median gap ms").toBeLessThan(100);
  });

  // Password registration reports a taken identifier (Kratos's 4000007), so the response itself
  // reveals that the identity exists. It must not reveal more than that.
  it("reveals no identity data on taken email", async () => {
    const eventsBefore = await settledEventCount(app);
    const flow = await publicCall(app, "GET", "/self-service/registration/api");
    const taken = await publicCall(app, "POST", `/self-service/registration?flow=${flow.body.id}`, {
      json: { method: "password", password: goodPassword, traits: { email: "Known@Example.com" } },
    });
    expect(taken.status, taken.text.slice(0, 300)).toBe(400);
    expect(flowMessageIds(taken.body), "taken email messages").toEqual([4000007]);
    expect(taken.body.identity, "no identity in the response").toBeUndefined();
    expect(taken.body.session_token, "no session token in the response").toBeUndefined();
    expect(taken.text, "no password in the response").not.toContain(goodPassword);
    expect(await countEvents(app), "a taken email appends no event").toBe(eventsBefore);
  });
});
