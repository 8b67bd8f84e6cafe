import { once } from "node:events";
import { type IncomingHttpHeaders, request } from "node:http";
import type { AddressInfo } from "node:net";
import type Koa from "koa";
import pino, { type Logger } from "pino";

export interface TestServer {
  url: string;
  close(): Promise<void>;
}

/** Starts `app` on 127.0.0.1 with a port the system picks. */
export async function startServer(app: Koa): Promise<TestServer> {
  const server = app.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * Sends a request with node:http, writing `chunks` one by one, so a test controls the framing.
 * Without a Content-Length header the body goes out chunked. Errors on the request socket after
 * the response has arrived are ignored, because the server may close the connection while the
 * rest of an oversized body is still being written.
 */
export function rawRequest(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    chunks?: (string | Buffer)[];
    /** When false, the body is left unfinished and the request is destroyed after the response. */
    end?: boolean;
  },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let responded = false;
    const req = request(url, { method: options.method ?? "POST", headers: options.headers });
    req.on("response", (res) => {
      responded = true;
      const parts: Buffer[] = [];
      res.on("data", (part: Buffer) => parts.push(part));
      res.on("end", () => {
        if (options.end === false) req.destroy();
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(parts).toString("utf8"),
        });
      });
      res.on("error", reject);
    });
    req.on("error", (error) => {
      if (!responded) reject(error);
    });

    for (const chunk of options.chunks ?? []) req.write(chunk);
    if (options.end !== false) req.end();
  });
}

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** Creates a pino logger that parses each line it writes into `lines`. */
export function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino(
    { level: "debug" },
    { write: (line: string) => lines.push(JSON.parse(line) as LogLine) },
  );
  return { logger, lines };
}

export const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;
