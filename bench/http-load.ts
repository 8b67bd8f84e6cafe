import http from "node:http";

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

export interface LoadOptions {
  concurrency: number;
  durationMs: number;
  method?: string;
  headers?: Record<string, string>;
  body?: () => string;
  /** Status that counts as success; 200 when omitted. */
  expectStatus?: number;
}

/**
 * Sends requests over keep-alive connections from `concurrency` loops for `durationMs` and
 * reports throughput and latency percentiles. Non-matching statuses count as errors.
 */
export async function load(url: string, options: LoadOptions): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  const target = new URL(url);
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + options.durationMs;

  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (performance.now() < deadline) {
        const begin = performance.now();
        const status = await request(agent, target, options);
        latencies.push(performance.now() - begin);
        if (status !== (options.expectStatus ?? 200)) errors += 1;
      }
    }),
  );
  agent.destroy();

  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    requestsPerSecond: latencies.length / seconds,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    errors,
  };
}

/** Builds node:http request options, with JSON headers when there is a body. */
function requestOptions(
  agent: http.Agent,
  target: URL,
  method: string | undefined,
  headers: Record<string, string> | undefined,
  body: string | undefined,
): http.RequestOptions {
  return {
    agent,
    host: target.hostname,
    port: target.port,
    path: target.pathname + target.search,
    method: method ?? "GET",
    headers: {
      ...headers,
      ...(body !== undefined && {
        "Content-Type": "application/json",
        "Content-Length": Buffer.byteLength(body),
      }),
    },
  };
}

function request(agent: http.Agent, target: URL, options: LoadOptions): Promise<number> {
  return new Promise((resolve) => {
    const body = options.body?.();
    const req = http.request(
      requestOptions(agent, target, options.method, options.headers, body),
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", () => resolve(0));
    req.end(body);
  });
}

/**
 * Sends one request with an optional JSON body and returns the status and the parsed JSON
 * response. node:http with a keep-alive agent costs the client less CPU than fetch, which
 * matters when client and server share the machine's cores.
 */
export function requestJson(
  agent: http.Agent,
  url: string,
  options: { method?: string; body?: unknown } = {},
): Promise<{ status: number; body: unknown }> {
  const target = new URL(url);
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      requestOptions(agent, target, options.method, { Accept: "application/json" }, body),
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({
            status: res.statusCode ?? 0,
            body: text === "" ? undefined : JSON.parse(text),
          });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]!;
}
