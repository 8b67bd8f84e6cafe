import { Redis } from "ioredis";
import type { Registrar } from "../../../app/registrar.ts";
import { parseCourierConfig } from "../../../courier/courier-config.ts";
import {
  type CheckSendAllowed,
  createSendRateLimiter,
} from "../../../courier/send-rate-limiter.ts";

const limiters = new WeakMap<Registrar, CheckSendAllowed>();

// Bounds how long a request waits for Redis before the limiter falls back to memory.
const redisCommandTimeoutMs = 500;

/**
 * Returns the courier's send-rate limiter of this Registrar, creating it on first use with the
 * `COURIER_SENDS_PER_ADDRESS`, `COURIER_SENDS_PER_IP` and `COURIER_SEND_WINDOW_SECONDS`
 * settings. The hash key and the Redis key prefix are derived from the claim key secret,
 * so every instance of one deployment shares its counters and other deployments on the same
 * Redis do not.
 * NOTE: the limiter owns a second Redis client, closed by wrapping `registrar.close`, until
 * the Registrar object carries a limiter of its own.
 */
export function sendLimiterOf(registrar: Registrar): CheckSendAllowed {
  const existing = limiters.get(registrar);
  if (existing) return existing;

  const courier = parseCourierConfig(process.env);
  const redis = new Redis(registrar.config.REDIS_URL, {
    commandTimeout: redisCommandTimeoutMs,
    maxRetriesPerRequest: 1,
    lazyConnect: true,
  });
  redis.on("error", (error) => {
    registrar.logger.warn({ err: error }, "send-rate limiter lost its Redis connection");
  });
  const closeRegistrar = registrar.close.bind(registrar);
  registrar.close = async () => {
    redis.disconnect();
    await closeRegistrar();
  };

  const deployment = registrar.personalData.claims.claimKey("send_rate_limit", "deployment");
  const window = courier.COURIER_SEND_WINDOW_SECONDS;
  const limiter = createSendRateLimiter({
    redis,
    hashKey: Buffer.from(
      registrar.personalData.claims.claimKey("send_rate_limit", "hash_key"),
      "base64url",
    ),
    keyPrefix: `courier_send:${deployment.slice(0, 16)}`,
    perAddress: { points: courier.COURIER_SENDS_PER_ADDRESS, windowSeconds: window },
    perIp: { points: courier.COURIER_SENDS_PER_IP, windowSeconds: window },
  });
  limiters.set(registrar, limiter);
  return limiter;
}
