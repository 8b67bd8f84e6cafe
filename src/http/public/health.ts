import type Router from "@koa/router";
import type { Registrar } from "../../app/registrar.ts";

/** Kratos's liveness and readiness routes; readiness checks PostgreSQL and Redis. */
export function registerHealthRoutes(router: Router, registrar: Registrar): void {
  router.get("/health/alive", (ctx) => {
    ctx.body = { status: "ok" };
  });

  router.get("/health/ready", async (ctx) => {
    const errors: Record<string, string> = {};
    await registrar.pool.query("SELECT 1").catch(() => {
      errors.database = "PostgreSQL is not reachable";
    });
    await withTimeout(registrar.redis.ping(), 1_000).catch(() => {
      errors.redis = "Redis is not reachable";
    });
    if (Object.keys(errors).length > 0) {
      ctx.status = 503;
      ctx.body = { errors };
      return;
    }
    ctx.body = { status: "ok" };
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error("timed out")), ms).unref()),
  ]);
}
