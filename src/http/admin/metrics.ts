import type Router from "@koa/router";
import type { Middleware } from "koa";
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";
import { requireScope } from "./api-key-auth.ts";

/** Prometheus registry of this process. */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: "registrar_" });

export const httpRequests = new Counter({
  name: "registrar_http_requests_total",
  help: "HTTP requests by port, route and status code.",
  labelNames: ["route", "status"] as const,
  registers: [metricsRegistry],
});

export const httpDuration = new Histogram({
  name: "registrar_http_request_duration_seconds",
  help: "HTTP request duration in seconds by route.",
  labelNames: ["route"] as const,
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [metricsRegistry],
});

/** Counts requests and their durations by matched route, never by raw path (ids vary). */
export function metricsMiddleware(): Middleware {
  return async function measure(ctx, next) {
    const stop = httpDuration.startTimer();
    try {
      await next();
    } finally {
      const route = (ctx as { _matchedRoute?: string })._matchedRoute ?? "unmatched";
      stop({ route: String(route) });
      httpRequests.inc({ route: String(route), status: String(ctx.status) });
    }
  };
}

export function registerMetricsRoutes(router: Router): void {
  router.get("/admin/metrics/prometheus", requireScope("metrics:read"), async (ctx) => {
    ctx.type = metricsRegistry.contentType;
    ctx.body = await metricsRegistry.metrics();
  });
}
