import { createHmac } from "node:crypto";
import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";

/** A number of sends allowed per window. */
export interface SendLimit {
  points: number;
  windowSeconds: number;
}

export interface SendRateLimiterOptions {
  /**
   * Client for the shared counters. It must have a `commandTimeout`, such as 500 ms, because
   * while Redis is unreachable the limiter waits for that long before it falls back to memory.
   */
  redis: Redis;
  /**
   * Key of the HMAC that turns an address or IP into its Redis key, so Redis never stores either
   * and a dump of it cannot be reversed by hashing a list of known values. 32 bytes or more.
   */
  hashKey: Buffer;
  /** Prefix of the limiter keys in Redis; `courier_send` when omitted. */
  keyPrefix?: string;
  /** Sends per recipient address; 5 per hour when omitted. */
  perAddress?: SendLimit;
  /** Sends per client IP address; 20 per hour when omitted. */
  perIp?: SendLimit;
}

export type SendDecision =
  | { allowed: true }
  | { allowed: false; limit: "address" | "ip"; retryAfterSeconds: number };

/** Decides whether a flow may request another message, counting the request when it may. */
export type CheckSendAllowed = (request: { address: string; ip?: string }) => Promise<SendDecision>;

/**
 * Creates the send-rate limit against email bombing: a fixed window per recipient address and
 * per client IP, shared by every instance through Redis. When a Redis command fails or times
 * out, a limiter in this process's memory with the same limits takes over, so sending stays
 * limited per instance during an outage. The IP is counted first, so requests rejected by the IP limit use up nothing of the
 * victim address's budget.
 */
export function createSendRateLimiter(options: SendRateLimiterOptions): CheckSendAllowed {
  if (options.hashKey.length < 32) {
    throw new RangeError("the hash key of the send-rate limiter must be 32 bytes or more");
  }
  if (!options.redis.options.commandTimeout) {
    throw new RangeError("the send-rate limiter's Redis client needs a commandTimeout");
  }
  const keyPrefix = options.keyPrefix ?? "courier_send";
  const byAddress = redisLimiter(
    options.redis,
    `${keyPrefix}:address`,
    options.perAddress ?? {
      points: 5,
      windowSeconds: 3600,
    },
  );
  const byIp = redisLimiter(
    options.redis,
    `${keyPrefix}:ip`,
    options.perIp ?? {
      points: 20,
      windowSeconds: 3600,
    },
  );

  const hashOf = (value: string) =>
    createHmac("sha256", options.hashKey).update(value).digest("base64url");

  return async ({ address, ip }) => {
    if (ip) {
      const rejection = await consume(byIp, hashOf(ip));
      if (rejection !== undefined)
        return { allowed: false, limit: "ip", retryAfterSeconds: rejection };
    }
    const rejection = await consume(byAddress, hashOf(address.trim().toLowerCase()));
    if (rejection !== undefined) {
      return { allowed: false, limit: "address", retryAfterSeconds: rejection };
    }
    return { allowed: true };
  };
}

function redisLimiter(redis: Redis, keyPrefix: string, limit: SendLimit): RateLimiterRedis {
  const settings = { keyPrefix, points: limit.points, duration: limit.windowSeconds };
  return new RateLimiterRedis({
    ...settings,
    storeClient: redis,
    insuranceLimiter: new RateLimiterMemory(settings),
  });
}

/** Consumes one point; returns the seconds to wait when the limit is reached. */
async function consume(limiter: RateLimiterRedis, key: string): Promise<number | undefined> {
  try {
    await limiter.consume(key);
    return undefined;
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) {
      return Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
    }
    throw rejection;
  }
}
