import { Writable } from "node:stream";
import { Redis } from "ioredis";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LoginThrottle } from "../../src/security/login-throttle.ts";
import { listSecurityEvents } from "../../src/security/security-log.ts";
import { login, registerIdentity, startTestApp, type TestApp } from "./support.ts";

const limit = 5;
const password = "throttled but correct passphrase 5";

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp("login_throttle", {
    env: { LOGIN_ATTEMPTS_PER_IDENTIFIER: String(limit), LOGIN_THROTTLE_WINDOW_SECONDS: "600" },
  });
});

afterAll(async () => {
  await app?.stop();
});

async function failuresOf(identityId: string, reason: string): Promise<number> {
  const { events } = await listSecurityEvents(app.database.pool, { identityId, limit: 1000 });
  return events.filter((event) => event.data.reason === reason).length;
}

describe("per-identifier throttle", () => {
  it("rejects the attempt after the limit", async () => {
    const { identityId } = await registerIdentity(app, "target@example.com", password);
    for (let attempt = 1; attempt <= limit; attempt++) {
      const answer = await login(app, "target@example.com", `wrong guess ${attempt}`);
      expect(answer.status).toBe(400);
    }

    // Even the right password is not verified once the identifier is over its limit.
    const blocked = await login(app, "TARGET@example.com ", password);
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.id).toBe("rate_limited");
    const retryAfter = Number(blocked.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(600);
    expect(blocked.body.error.details.retry_after_seconds).toBe(retryAfter);
    const logged = app.logLines.filter((line) => line.error_id === "rate_limited");
    expect(logged.map((line) => line.level)).toEqual([40]);
    expect(await failuresOf(identityId, "wrong_password")).toBe(limit);
    expect((await login(app, "target@example.com", "one more guess")).status).toBe(429);

    // The second rejection in the window is counted but not logged again.
    const { events } = await listSecurityEvents(app.database.pool, { type: "LoginThrottled" });
    const { claims } = app.running.registrar.personalData;
    const key = claims.claimKey("login_throttle", "target@example.com");
    expect(events.filter((event) => event.identifierKey === key)).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ scope: "identifier" }) }),
    ]);
  });

  it("throttles unknown identifiers alike", async () => {
    for (let attempt = 1; attempt <= limit; attempt++) {
      expect((await login(app, "nobody.here@example.com", "guess")).status).toBe(400);
    }
    expect((await login(app, "nobody.here@example.com", "guess")).status).toBe(429);
  });

  it("resets after a successful login", async () => {
    await registerIdentity(app, "forgetful@example.com", password);
    for (let attempt = 1; attempt < limit; attempt++) {
      expect((await login(app, "forgetful@example.com", "wrong")).status).toBe(400);
    }
    expect((await login(app, "forgetful@example.com", password)).status).toBe(200);
    for (let attempt = 1; attempt <= limit; attempt++) {
      expect((await login(app, "forgetful@example.com", "wrong")).status).toBe(400);
    }
    expect((await login(app, "forgetful@example.com", "wrong")).status).toBe(429);
  });

  it("holds under parallel attempts", async () => {
    const { identityId } = await registerIdentity(app, "parallel@example.com", password);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, attempt) =>
        login(app, "parallel@example.com", `parallel guess ${attempt}`),
      ),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 400)).toHaveLength(limit);
    expect(statuses.filter((status) => status === 429)).toHaveLength(20 - limit);
    expect(await failuresOf(identityId, "wrong_password")).toBe(limit);
  });

  it("keeps only an HMAC of the identifier in Redis", async () => {
    const { registrar } = app.running;
    const key = registrar.personalData.claims.claimKey("login_throttle", "target@example.com");
    expect(await registrar.redis.exists(`registrar:login-throttle:identifier:${key}`)).toBe(1);
    expect(
      await registrar.redis.exists("registrar:login-throttle:identifier:target@example.com"),
    ).toBe(0);
  });
});

describe("per-IP throttle", () => {
  let ipApp: TestApp;

  beforeAll(async () => {
    ipApp = await startTestApp("login_throttle_ip", {
      env: { LOGIN_ATTEMPTS_PER_IDENTIFIER: "1000", LOGIN_ATTEMPTS_PER_IP: "3" },
    });
  });

  afterAll(async () => {
    await ipApp?.stop();
  });

  it("rejects a source after its limit", async () => {
    for (const name of ["one", "two", "three"]) {
      expect((await login(ipApp, `${name}@example.com`, "guess")).status).toBe(400);
    }
    const blocked = await login(ipApp, "four@example.com", "guess");
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get("retry-after")).toMatch(/^[1-9][0-9]*$/);

    const { events } = await listSecurityEvents(ipApp.database.pool, { type: "LoginThrottled" });
    expect(events.map((event) => event.data.scope)).toEqual(["ip"]);
  });
});

describe("throttle without Redis", () => {
  it("counts in memory and warns", async () => {
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString("utf8")) as Record<string, unknown>);
        done();
      },
    });
    // Never connected, so the limiter finds it not ready and must not wait for it.
    const redis = new Redis({ lazyConnect: true, maxRetriesPerRequest: 0 });
    const throttle = new LoginThrottle({
      redis,
      attemptsPerIdentifier: 2,
      attemptsPerIp: 100,
      windowSeconds: 60,
      logger: pino({ level: "info" }, destination),
    });
    const keys = { identifier: "hmac-of-identifier", ip: "hmac-of-ip" };

    const started = Date.now();
    expect(await throttle.begin(keys)).toEqual({ allowed: true });
    expect(await throttle.begin(keys)).toEqual({ allowed: true });
    expect(await throttle.begin(keys)).toMatchObject({ allowed: false, scope: "identifier" });
    expect(Date.now() - started).toBeLessThan(500);

    await throttle.succeed(keys);
    expect(await throttle.begin(keys)).toEqual({ allowed: true });

    const warnings = lines.filter((line) => line.level === 40);
    expect(warnings.map((line) => line.throttle).sort()).toEqual([
      "identifier",
      "identifier-daily",
      "ip",
    ]);
    redis.disconnect();
  });
});

describe("daily identifier cap", () => {
  it("rejects past the daily failure cap", async () => {
    const redis = new Redis({ lazyConnect: true, maxRetriesPerRequest: 0 });
    // The short window allows 1,000, so only the daily cap can stop the 21st attempt.
    const throttle = new LoginThrottle({
      redis,
      attemptsPerIdentifier: 1_000,
      attemptsPerIp: 1_000,
      windowSeconds: 1,
      failuresPerIdentifierPerDay: 20,
      logger: pino({ level: "silent" }),
    });
    const keys = { identifier: "hmac-of-daily-identifier", ip: "hmac-of-daily-ip" };
    for (let attempt = 1; attempt <= 20; attempt += 1) {
      expect(await throttle.begin(keys), `attempt ${attempt}`).toEqual({ allowed: true });
    }
    expect(await throttle.begin(keys)).toMatchObject({ allowed: false, scope: "identifier" });
    redis.disconnect();
  });

  it("does not count attempts the short window rejects", async () => {
    const redis = new Redis({ lazyConnect: true, maxRetriesPerRequest: 0 });
    const throttle = new LoginThrottle({
      redis,
      attemptsPerIdentifier: 2,
      attemptsPerIp: 1_000,
      windowSeconds: 1,
      failuresPerIdentifierPerDay: 3,
      logger: pino({ level: "silent" }),
    });
    const keys = { identifier: "hmac-of-flooded-identifier", ip: "hmac-of-flooding-ip" };
    expect(await throttle.begin(keys)).toEqual({ allowed: true });
    expect(await throttle.begin(keys)).toEqual({ allowed: true });
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      expect(await throttle.begin(keys)).toMatchObject({ allowed: false, scope: "identifier" });
    }

    // After the short window, the daily cap has counted 2 verified guesses, not 7.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await throttle.begin(keys)).toEqual({ allowed: true });
    expect(await throttle.begin(keys)).toMatchObject({ allowed: false, scope: "identifier" });
    redis.disconnect();
  });
});
