import { randomUUID } from "node:crypto";
import http, { type Server } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import Router from "@koa/router";
import argon2 from "argon2";
import Koa from "koa";
import { close, listen, portOf } from "../src/http/server.ts";
import { startBenchApp } from "./app.ts";
import { createBenchDatabase, interleaved, report } from "./harness.ts";
import { load, requestJson } from "./http-load.ts";

const durationMs = Number(process.env.BENCH_DURATION_MS ?? 3_000);
const password = "correct horse battery staple 42";

// One keep-alive agent for the benchmark's clients, so that connections are reused like fetch's.
const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });

/** Registers an identity through the native flow and returns its session token. */
async function register(publicUrl: string, email: string): Promise<string> {
  const flow = await requestJson(agent, `${publicUrl}/self-service/registration/api`);
  const response = await requestJson(
    agent,
    `${publicUrl}/self-service/registration?flow=${(flow.body as { id: string }).id}`,
    { method: "POST", body: { method: "password", traits: { email }, password } },
  );
  if (response.status !== 200) throw new Error(`registration failed: ${response.status}`);
  return (response.body as { session_token: string }).session_token;
}

async function verifyRaw(hash: string): Promise<void> {
  if (!(await argon2.verify(hash, password))) throw new Error("verification failed");
}

/**
 * Password logins through the native flow beside raw argon2id verification at the same
 * parameters and concurrency, measured in alternating slices. Logins rotate over several
 * identities, so that concurrent session appends rarely meet on one stream.
 */
async function benchLogin(publicUrl: string, parameters: argon2.Options): Promise<void> {
  const concurrency = 8;
  const emails = Array.from({ length: 16 }, () => `login-${randomUUID()}@example.com`);
  for (const email of emails) await register(publicUrl, email);
  const hash = await argon2.hash(password, parameters);

  let next = 0;
  const rates = await interleaved(
    concurrency,
    2 * durationMs,
    () => verifyRaw(hash),
    async () => {
      next += 1;
      await login(publicUrl, emails[next % emails.length]!);
    },
  );
  report({
    name: "password login throughput",
    value: rates.subject,
    unit: "ops/s",
    baselineName: "raw argon2id verify, same parameters",
    baseline: rates.baseline,
  });
  await benchLoginFloor(hash, concurrency);
}

/**
 * Measures a login's two requests against a bare Koa app whose second route only verifies the
 * password. Its ratio is the most a login could reach if Registrar's own work cost nothing.
 */
async function benchLoginFloor(hash: string, concurrency: number): Promise<void> {
  const bareApp = new Koa();
  const router = new Router();
  router.get("/flow", (ctx) => {
    ctx.body = { id: randomUUID() };
  });
  router.post("/verify", async (ctx) => {
    const chunks: Buffer[] = [];
    for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { password: string };
    ctx.body = { verified: await argon2.verify(hash, body.password) };
  });
  bareApp.use(router.routes());
  const server = await listen(bareApp, "127.0.0.1", 0);
  const url = `http://127.0.0.1:${portOf(server)}`;
  try {
    const rates = await interleaved(
      concurrency,
      2 * durationMs,
      () => verifyRaw(hash),
      async () => {
        await requestJson(agent, `${url}/flow`);
        const response = await requestJson(agent, `${url}/verify`, {
          method: "POST",
          body: { password },
        });
        if ((response.body as { verified: boolean }).verified !== true) {
          throw new Error("verification failed");
        }
      },
    );
    report({
      name: "login floor: bare Koa, 2 requests",
      value: rates.subject,
      unit: "ops/s",
      baselineName: "raw argon2id verify, same parameters",
      baseline: rates.baseline,
    });
  } finally {
    await close(server);
  }
}

async function login(publicUrl: string, identifier: string): Promise<void> {
  const flow = await requestJson(agent, `${publicUrl}/self-service/login/api`);
  const response = await requestJson(
    agent,
    `${publicUrl}/self-service/login?flow=${(flow.body as { id: string }).id}`,
    { method: "POST", body: { method: "password", identifier, password } },
  );
  if (response.status !== 200) throw new Error(`login failed: ${response.status}`);
}

/** Whoami beside a bare Koa JSON route, and registration beside raw argon2 hashing. */
export async function benchIdentity(): Promise<void> {
  const database = await createBenchDatabase(20);
  const app = await startBenchApp(database);
  let bare: Server | undefined;
  try {
    const token = await register(app.publicUrl, `bench-${randomUUID()}@example.com`);
    const whoami = await (
      await fetch(`${app.publicUrl}/sessions/whoami`, { headers: { "X-Session-Token": token } })
    ).json();

    const bareApp = new Koa();
    const router = new Router();
    router.get("/json", (ctx) => {
      ctx.body = whoami;
    });
    bareApp.use(router.routes());
    bare = await listen(bareApp, "127.0.0.1", 0);
    const bareUrl = `http://127.0.0.1:${portOf(bare)}/json`;

    const concurrency = 16;
    const baseline = await load(bareUrl, { concurrency, durationMs });
    const subject = await load(`${app.publicUrl}/sessions/whoami`, {
      concurrency,
      durationMs,
      headers: { "X-Session-Token": token },
    });
    if (subject.errors > 0) throw new Error(`whoami failed ${subject.errors} times`);
    report({
      name: "whoami throughput",
      value: subject.requestsPerSecond,
      unit: "req/s",
      baselineName: "bare Koa JSON route",
      baseline: baseline.requestsPerSecond,
    });
    report({
      name: "whoami p99 latency",
      value: subject.p99Ms,
      unit: "ms",
      baselineName: "bare Koa JSON route",
      baseline: baseline.p99Ms,
      lowerIsBetter: true,
    });

    const hashConcurrency = 4;
    const parameters = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 };
    let hashes = 0;
    let started = performance.now();
    await Promise.all(
      Array.from({ length: hashConcurrency }, async () => {
        while (performance.now() - started < durationMs) {
          await argon2.hash(password, parameters);
          hashes += 1;
        }
      }),
    );
    const hashRate = hashes / ((performance.now() - started) / 1000);

    let registrations = 0;
    started = performance.now();
    await Promise.all(
      Array.from({ length: hashConcurrency }, async () => {
        while (performance.now() - started < durationMs) {
          await register(app.publicUrl, `bench-${randomUUID()}@example.com`);
          registrations += 1;
        }
      }),
    );
    const registrationRate = registrations / ((performance.now() - started) / 1000);
    report({
      name: "registration throughput",
      value: registrationRate,
      unit: "ops/s",
      baselineName: "raw argon2id hash, same parameters",
      baseline: hashRate,
    });

    await benchLogin(app.publicUrl, parameters);
    await sleep(100);
  } finally {
    agent.destroy();
    if (bare) await close(bare);
    await app.stop();
    await database.drop();
  }
}
