import { createServer, type Server } from "node:http";
import type { Duplex } from "node:stream";
import type Koa from "koa";

/** Starts listening and resolves with the server once the port is bound. */
export function listen(app: Koa, host: string, port: number): Promise<Server> {
  return bind(host, port).then((server) => serve(server, app));
}

/**
 * Binds a server that handles no requests yet, so that callers learn a port picked by the
 * system (port 0) before building an app that needs its own URL.
 */
export function bind(host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("clientError", respondToMalformedRequest);
    server.listen(port, host);
    server.once("listening", () => resolve(server));
    server.once("error", reject);
    // Keep-alive a little longer than common load balancers' idle timeout of 60 s.
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    server.requestTimeout = 30_000;
  });
}

/** Stops accepting connections and resolves once open requests have finished. */
export function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

/** Returns the port a server is bound to, for servers started on port 0. */
export function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === "string")
    throw new Error("server is not bound to a TCP port");
  return address.port;
}

/** Hands a bound server's requests to a Koa app. */
export function serve(server: Server, app: Koa): Server {
  server.on("request", app.callback());
  return server;
}

const malformedRequestBody = JSON.stringify({
  error: {
    id: "bad_request",
    code: 400,
    status: "Bad Request",
    reason: "Send a well-formed HTTP/1.1 request with a standard method.",
    message: "The request could not be parsed.",
  },
});

/**
 * Responds to a request that Node's HTTP parser rejected before any app saw it, such as one with
 * an unknown method token, with the error envelope of every other error, then closes it.
 */
function respondToMalformedRequest(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(
    "HTTP/1.1 400 Bad Request\r\n" +
      "Content-Type: application/json; charset=utf-8\r\n" +
      `Content-Length: ${Buffer.byteLength(malformedRequestBody)}\r\n` +
      "Connection: close\r\n\r\n" +
      malformedRequestBody,
  );
}
