import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSendRateLimiter } from "../../src/courier/send-rate-limiter.ts";
import { deleteRedisKeys } from "./support.ts";

const redisUrl = "redis://127.0.0.1:6379";
const keyPrefix = `rg_test_send_limit_${randomBytes(4).toString("hex")}`;
const hashKey = randomBytes(32);
let redis: Redis;

beforeAll(() => {
  redis = new Redis(redisUrl, { commandTimeout: 500 });
});

afterAll(async () => {
  redis.disconnect();
  await deleteRedisKeys(redisUrl, `${keyPrefix}*`);
});

describe("send-rate limiter", () => {
  it("rejects the sixth request for one address", async () => {
    const check = createSendRateLimiter({ redis, hashKey, keyPrefix: `${keyPrefix}:a` });
    for (let index = 0; index < 5; index += 1) {
      const decision = await check({ address: "ada@example.com", ip: `198.51.100.${index}` });
      expect(decision).toEqual({ allowed: true });
    }

    const sixth = await check({ address: " ADA@example.com ", ip: "198.51.100.99" });
    expect(sixth.allowed).toBe(false);
    if (sixth.allowed) return;
    expect(sixth.limit).toBe("address");
    expect(sixth.retryAfterSeconds).toBeGreaterThan(3500);
    expect(sixth.retryAfterSeconds).toBeLessThanOrEqual(3600);

    expect(await check({ address: "grace@example.com", ip: "198.51.100.99" })).toEqual({
      allowed: true,
    });
  });

  it("rejects the 21st request from one IP", async () => {
    const check = createSendRateLimiter({ redis, hashKey, keyPrefix: `${keyPrefix}:b` });
    for (let index = 0; index < 20; index += 1) {
      const decision = await check({ address: `person-${index}@example.com`, ip: "203.0.113.7" });
      expect(decision.allowed).toBe(true);
    }

    const decision = await check({ address: "fresh@example.com", ip: "203.0.113.7" });
    expect(decision).toMatchObject({ allowed: false, limit: "ip" });
    // The IP limit rejected it first, so the address still has its whole budget.
    for (let index = 0; index < 5; index += 1) {
      expect(await check({ address: "fresh@example.com", ip: `203.0.113.${100 + index}` })).toEqual(
        {
          allowed: true,
        },
      );
    }
  });

  it("applies configured limits and windows", async () => {
    const check = createSendRateLimiter({
      redis,
      hashKey,
      keyPrefix: `${keyPrefix}:c`,
      perAddress: { points: 1, windowSeconds: 60 },
    });
    expect((await check({ address: "once@example.com" })).allowed).toBe(true);

    const second = await check({ address: "once@example.com" });
    expect(second).toMatchObject({ allowed: false, limit: "address" });
    if (!second.allowed) expect(second.retryAfterSeconds).toBeLessThanOrEqual(60);
  });

  it("stores no address or IP in Redis", async () => {
    const keys = await redis.keys(`${keyPrefix}*`);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key).not.toContain("@");
      expect(key).not.toContain("198.51.100");
      expect(key).not.toContain("203.0.113");
    }
  });

  it("limits in memory while Redis is unreachable", async () => {
    const unreachable = new Redis("redis://127.0.0.1:6390", { commandTimeout: 100 });
    unreachable.on("error", () => undefined);
    const check = createSendRateLimiter({
      redis: unreachable,
      hashKey,
      keyPrefix: `${keyPrefix}:d`,
    });
    for (let index = 0; index < 5; index += 1) {
      expect((await check({ address: "outage@example.com" })).allowed).toBe(true);
    }
    expect(await check({ address: "outage@example.com" })).toMatchObject({
      allowed: false,
      limit: "address",
    });
    unreachable.disconnect();
  });

  it("rejects a short hash key", () => {
    expect(() => createSendRateLimiter({ redis, hashKey: randomBytes(16) })).toThrow(
      "must be 32 bytes or more",
    );
  });

  it("rejects a client without command timeout", () => {
    const client = new Redis(redisUrl, { lazyConnect: true });
    expect(() => createSendRateLimiter({ redis: client, hashKey })).toThrow(
      "needs a commandTimeout",
    );
    client.disconnect();
  });
});
