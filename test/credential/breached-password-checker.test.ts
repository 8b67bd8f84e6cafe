import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  disabledBreachedPasswordChecker,
  HibpBreachedPasswordChecker,
} from "../../src/credential/index.ts";

const breachedPassword = "P@ssw0rd-from-a-dump";
const cleanPassword = "a fresh passphrase nobody used";
const paddedPassword = "padded entry password";

const sha1 = (value: string) =>
  createHash("sha1").update(value, "utf8").digest("hex").toUpperCase();

/** Next response of the fake range API: a status and body, a delay, or `bytes` letters. */
let reply: { status: number; body: string } | { delayMs: number } | { bytes: number };
let requests: IncomingMessage[] = [];
let server: Server;
let baseUrl: string;

function rangeBody(prefix: string): string {
  const lines = [`${"0".repeat(35)}:3`];
  for (const [secret, count] of [
    [breachedPassword, 42],
    [paddedPassword, 0],
  ] as const) {
    const digest = sha1(secret);
    if (digest.startsWith(prefix)) lines.push(`${digest.slice(5)}:${count}`);
  }
  return lines.join("\r\n");
}

beforeAll(async () => {
  server = createServer((request, response) => {
    requests.push(request);
    if ("delayMs" in reply) {
      setTimeout(() => response.end(""), reply.delayMs);
      return;
    }
    if ("bytes" in reply) {
      response.end("A".repeat(reply.bytes));
      return;
    }
    const prefix = request.url?.replace("/api/range/", "") ?? "";
    response.statusCode = reply.status;
    response.end(reply.status === 200 ? rangeBody(prefix) : reply.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  reply = { status: 200, body: "" };
  requests = [];
});

describe("HibpBreachedPasswordChecker", () => {
  it("reports breached password with count", async () => {
    const checker = new HibpBreachedPasswordChecker({ baseUrl });
    expect(await checker.check(breachedPassword)).toEqual({ breached: true, count: 42 });
  });

  it("sends only the five-digit prefix", async () => {
    const checker = new HibpBreachedPasswordChecker({ baseUrl });
    await checker.check(breachedPassword);

    const digest = sha1(breachedPassword);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.url).toBe(`/api/range/${digest.slice(0, 5)}`);
    expect(requests[0]?.headers["add-padding"]).toBe("true");
    const sent = JSON.stringify({ url: requests[0]?.url, headers: requests[0]?.headers });
    expect(sent).not.toContain(digest.slice(5, 15));
    expect(sent).not.toContain(breachedPassword);
  });

  it("reports unknown password as clean", async () => {
    const checker = new HibpBreachedPasswordChecker({ baseUrl });
    expect(await checker.check(cleanPassword)).toEqual({ breached: false });
  });

  it("ignores padding entries with count zero", async () => {
    const checker = new HibpBreachedPasswordChecker({ baseUrl });
    expect(await checker.check(paddedPassword)).toEqual({ breached: false });
  });

  it("allows counts up to maxBreaches", async () => {
    const lenient = new HibpBreachedPasswordChecker({ baseUrl, maxBreaches: 42 });
    const strict = new HibpBreachedPasswordChecker({ baseUrl, maxBreaches: 41 });
    expect(await lenient.check(breachedPassword)).toEqual({ breached: false });
    expect(await strict.check(breachedPassword)).toEqual({ breached: true, count: 42 });
  });

  it("fails open on server error", async () => {
    reply = { status: 503, body: "unavailable" };
    const checker = new HibpBreachedPasswordChecker({ baseUrl });
    expect(await checker.check(breachedPassword)).toEqual({
      breached: false,
      failure: "unexpected_status",
    });
  });

  it("fails open on timeout", async () => {
    reply = { delayMs: 1_000 };
    const checker = new HibpBreachedPasswordChecker({ baseUrl, timeoutMs: 100 });
    const started = Date.now();
    expect(await checker.check(breachedPassword)).toEqual({ breached: false, failure: "timeout" });
    expect(Date.now() - started).toBeLessThan(900);
  });

  it("fails open when connection is refused", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));

    const checker = new HibpBreachedPasswordChecker({ baseUrl: `http://127.0.0.1:${port}` });
    expect(await checker.check(breachedPassword)).toEqual({
      breached: false,
      failure: "network_error",
    });
  });

  it("fails open on unparsable body", async () => {
    reply = { bytes: 100 };
    const checker = new HibpBreachedPasswordChecker({ baseUrl });
    expect(await checker.check(breachedPassword)).toEqual({
      breached: false,
      failure: "invalid_response",
    });
  });

  it("stops reading oversized body", async () => {
    reply = { bytes: 64 * 1024 };
    const checker = new HibpBreachedPasswordChecker({ baseUrl, maxResponseBytes: 1024 });
    expect(await checker.check(breachedPassword)).toEqual({
      breached: false,
      failure: "invalid_response",
    });
  });

  it("rejects non-http base URL", () => {
    expect(() => new HibpBreachedPasswordChecker({ baseUrl: "file:///etc/passwd" })).toThrow(
      TypeError,
    );
  });
});

describe("disabledBreachedPasswordChecker", () => {
  it("never reports a breach", async () => {
    expect(await disabledBreachedPasswordChecker.check(breachedPassword)).toEqual({
      breached: false,
    });
  });
});
