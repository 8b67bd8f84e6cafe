import type { Redis } from "ioredis";
import type { Logger } from "pino";
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from "rate-limiter-flexible";
import type { ThrottleScope } from "./security-log.ts";

export interface LoginThrottleOptions {
  redis: Redis;
  /** Failed attempts allowed per identifier within one window. */
  attemptsPerIdentifier: number;
  /** Failed attempts allowed per client IP within one window. */
  attemptsPerIp: number;
  windowSeconds: number;
  logger: Logger;
  /** Time limit of one Redis call in milliseconds; 500 when omitted. */
  redisTimeoutMs?: number;
  /** Failed logins per identifier within 24 hours; 100 when omitted. */
  failuresPerIdentifierPerDay?: number;
}

/** Keys of one attempt; callers pass HMACs, so Redis contains no identifier or address. */
export interface LoginAttemptKeys {
  identifier: string;
  ip: string;
}

export type LoginAttemptDecision =
  | { allowed: true }
  | {
      allowed: false;
      scope: ThrottleScope;
      retryAfterSeconds: number;
      /** True for the first rejection in the window, the one worth a security log entry. */
      firstRejection: boolean;
    };

/** Failed logins per identifier within 24 hours, the consecutive-failure cap of NIST 800-63B. */
const dailyFailuresPerIdentifier = 100;

// A Redis outage is logged at most this often per limiter, so a login storm logs a few lines.
const outageLogIntervalMs = 10_000;

/**
 * Counts failed password logins per identifier and per client IP in fixed windows, in Redis so
 * that every instance shares the counts.
 *
 * An attempt takes its point before the password is verified, in one atomic Redis script, so
 * parallel guesses cannot overtake the limit. With a limit of 5, the sixth concurrent attempt
 * already counts 6 and is rejected. A successful login gives the points back: it clears the
 * identifier's counter and returns the IP's point.
 *
 * NOTE: when Redis fails or is slower than `redisTimeoutMs`, attempts are counted in this
 * process's memory instead (fail open), and a warning is logged. Each instance then enforces
 * the limits on its own, so N instances let up to N times the limit through during an outage;
 * the alternative, rejecting every login, would lock every identity out while Redis is down.
 * NOTE: an attacker who knows an identifier can keep it locked by sending wrong passwords
 * (lockout abuse). The window bounds each lockout, and the per-IP limit slows one source.
 */
export class LoginThrottle {
  readonly #identifier: FallbackLimiter;
  readonly #identifierDaily: FallbackLimiter;
  readonly #ip: FallbackLimiter;

  constructor(options: LoginThrottleOptions) {
    const shared = {
      redis: options.redis,
      windowSeconds: options.windowSeconds,
      logger: options.logger,
      timeoutMs: options.redisTimeoutMs ?? 500,
    };
    this.#identifier = new FallbackLimiter({
      ...shared,
      name: "identifier",
      points: options.attemptsPerIdentifier,
    });
    // Windows restart, so over a day the short window alone would allow about 100 times its
    // limit. NIST SP 800-63B caps consecutive failures per account at 100, hence a daily cap.
    this.#identifierDaily = new FallbackLimiter({
      ...shared,
      name: "identifier-daily",
      windowSeconds: 24 * 3600,
      points: options.failuresPerIdentifierPerDay ?? dailyFailuresPerIdentifier,
    });
    this.#ip = new FallbackLimiter({ ...shared, name: "ip", points: options.attemptsPerIp });
  }

  /**
   * Takes one point from the IP's and then from the identifier's budgets and reports whether
   * the attempt may verify a password. An attempt the IP limit rejects leaves the identifier's
   * counts alone, so one noisy source does not also lock the identifier. The identifier's short
   * and daily counts are taken in one round trip. When the short window rejects the attempt,
   * the daily point is given back, because no password was verified.
   */
  async begin(keys: LoginAttemptKeys): Promise<LoginAttemptDecision> {
    const ip = await this.#ip.consume(keys.ip);
    if (ip.limited) return { allowed: false, scope: "ip", ...ip };

    const [identifier, daily] = await Promise.all([
      this.#identifier.consume(keys.identifier),
      this.#identifierDaily.consume(keys.identifier),
    ]);
    if (identifier.limited) {
      await this.#identifierDaily.refund(keys.identifier);
      return { allowed: false, scope: "identifier", ...identifier };
    }
    if (daily.limited) return { allowed: false, scope: "identifier", ...daily };
    return { allowed: true };
  }

  /** Clears the identifier's failures and returns the IP's point after a successful login. */
  async succeed(keys: LoginAttemptKeys): Promise<void> {
    await Promise.all([
      this.#identifier.reset(keys.identifier),
      this.#identifierDaily.reset(keys.identifier),
      this.#ip.refund(keys.ip),
    ]);
  }
}

export type ConsumeResult =
  | { limited: false }
  | { limited: true; retryAfterSeconds: number; firstRejection: boolean };

export interface FallbackLimiterOptions {
  /** Names the Redis keys and log lines: `identifier`, `ip` or another limit's name. */
  name: string;
  redis: Redis;
  points: number;
  windowSeconds: number;
  logger: Logger;
  timeoutMs: number;
}

/** A Redis limiter that falls back to an in-process one while Redis fails. */
export class FallbackLimiter {
  readonly #name: string;
  readonly #redis: RateLimiterRedis;
  readonly #memory: RateLimiterMemory;
  readonly #logger: Logger;
  readonly #timeoutMs: number;
  readonly #points: number;
  #lastOutageLog = 0;

  constructor(options: FallbackLimiterOptions) {
    const limits = {
      keyPrefix: `registrar:login-throttle:${options.name}`,
      points: options.points,
      duration: options.windowSeconds,
    };
    this.#name = options.name;
    // Without rejectIfRedisNotReady, ioredis queues commands while it reconnects and the
    // login would wait for the reconnection.
    this.#redis = new RateLimiterRedis({
      ...limits,
      storeClient: options.redis,
      rejectIfRedisNotReady: true,
    });
    this.#memory = new RateLimiterMemory(limits);
    this.#logger = options.logger;
    this.#timeoutMs = options.timeoutMs;
    this.#points = options.points;
  }

  async consume(key: string): Promise<ConsumeResult> {
    const outcome = await this.#run((limiter) => limiter.consume(key));
    if (outcome.consumedPoints <= this.#points) return { limited: false };

    const retryAfterSeconds = Math.max(1, Math.ceil(outcome.msBeforeNext / 1000));
    return {
      limited: true,
      retryAfterSeconds,
      firstRejection: outcome.consumedPoints === this.#points + 1,
    };
  }

  async reset(key: string): Promise<void> {
    await this.#run((limiter) => limiter.delete(key));
  }

  async refund(key: string): Promise<void> {
    await this.#run((limiter) => limiter.reward(key, 1));
  }

  /**
   * Runs an operation on Redis, or on the in-process limiter when Redis fails. A rejection
   * with a `RateLimiterRes` means "over the limit" and is returned, not thrown.
   */
  async #run<T>(
    operation: (limiter: RateLimiterAbstract) => Promise<T>,
  ): Promise<T | RateLimiterRes> {
    try {
      return await settleLimit(withTimeout(operation(this.#redis), this.#timeoutMs));
    } catch (error) {
      this.#logOutage(error);
      return settleLimit(operation(this.#memory));
    }
  }

  #logOutage(error: unknown): void {
    const now = Date.now();
    if (now - this.#lastOutageLog < outageLogIntervalMs) return;

    this.#lastOutageLog = now;
    this.#logger.warn(
      { err: error, throttle: this.#name },
      "login throttle cannot reach Redis; counting attempts in this process only",
    );
  }
}

/** Turns a rejection with `RateLimiterRes` (over the limit) into a result; rethrows the rest. */
async function settleLimit<T>(promise: Promise<T>): Promise<T | RateLimiterRes> {
  try {
    return await promise;
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) return rejection;
    throw rejection;
  }
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Redis call timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
