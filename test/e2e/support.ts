import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { expect } from "vitest";
import type { CapturedMail } from "../../src/courier/capture-server.ts";
import { mailText } from "../recovery/harness.ts";
import type { TestApp } from "../support/app.ts";
import { eventually } from "../support/eventually.ts";

export { codeOf, linkOf, mailText } from "../recovery/harness.ts";

/** A password that passes the password policy, for identities whose password is not tested. */
export const goodPassword = "a sturdy e2e passphrase 2026";

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests check the fields of a body one by one.
  body: any;
}

export interface SendOptions {
  /** A value sent as JSON. */
  json?: unknown;
  /** A body sent as it is, with `contentType` (JSON when omitted). */
  raw?: string | Buffer;
  contentType?: string;
  /** A session token sent in `X-Session-Token`. */
  token?: string;
  headers?: Record<string, string>;
}

/**
 * Sends a request through node:http rather than fetch, because fetch refuses a body on GET and
 * HEAD, and the bad-input tests send bodies to every method.
 */
export function send(
  baseUrl: string,
  method: string,
  path: string,
  options: SendOptions = {},
): Promise<Reply> {
  const headers: Record<string, string> = { Accept: "application/json", ...options.headers };
  let body: Buffer | undefined;
  if (options.json !== undefined) {
    body = Buffer.from(JSON.stringify(options.json));
    headers["Content-Type"] ??= "application/json";
  } else if (options.raw !== undefined) {
    body = Buffer.isBuffer(options.raw) ? options.raw : Buffer.from(options.raw);
    headers["Content-Type"] ??= options.contentType ?? "application/json";
  }
  if (body !== undefined) headers["Content-Length"] = String(body.length);
  if (options.token !== undefined) headers["X-Session-Token"] = options.token;

  return new Promise((resolve, reject) => {
    let responded = false;
    const outgoing = httpRequest(`${baseUrl}${path}`, { method, headers, agent: false }, (res) => {
      responded = true;
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: parse(text) });
      });
    });
    // The server may respond 413 and close the socket before the whole body was written.
    outgoing.on("error", (error) => {
      if (!responded) reject(error);
    });
    outgoing.end(body);
  });
}

function parse(text: string): unknown {
  try {
    return text === "" ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Sends a request to the public port. */
export function publicCall(app: TestApp, method: string, path: string, options?: SendOptions) {
  return send(app.publicUrl, method, path, options);
}

/** Sends a request to the admin port with the bootstrap API key. */
export function adminCall(app: TestApp, method: string, path: string, options: SendOptions = {}) {
  const headers = { Authorization: `Bearer ${app.adminKey}`, ...options.headers };
  return send(app.adminUrl, method, path, { ...options, headers });
}

/** Asserts Kratos's error envelope `{"error": {id, code, status, message}}` with status and id. */
export function expectErrorEnvelope(reply: Reply, status: number, id: string, label: string) {
  const context = `${label}: ${reply.status} ${reply.text.slice(0, 400)}`;
  expect(reply.status, `${context} (status)`).toBe(status);
  expect(reply.body?.error?.id, `${context} (error.id)`).toBe(id);
  expect(reply.body?.error?.code, `${context} (error.code)`).toBe(status);
  expect(typeof reply.body?.error?.status, `${context} (error.status)`).toBe("string");
  expect(typeof reply.body?.error?.message, `${context} (error.message)`).toBe("string");
}

// biome-ignore lint/suspicious/noExplicitAny: flow JSON is read field by field.
type FlowBody = any;

/** Returns every UI message id of a flow: the container's first, then each node's. */
export function flowMessageIds(flow: FlowBody): number[] {
  const ids: number[] = (flow?.ui?.messages ?? []).map((message: { id: number }) => message.id);
  for (const node of flow?.ui?.nodes ?? []) {
    for (const message of node.messages ?? []) ids.push(message.id);
  }
  return ids;
}

/** Asserts a 400 flow response whose UI carries `messageId` on the container or a node. */
export function expectFlowMessage(reply: Reply, messageId: number, label: string) {
  const context = `${label}: ${reply.status} ${reply.text.slice(0, 400)}`;
  expect(reply.status, `${context} (status)`).toBe(400);
  expect(typeof reply.body?.id, `${context} (flow id)`).toBe("string");
  expect(flowMessageIds(reply.body), `${context} (UI message ids)`).toContain(messageId);
}

/** Counts the rows of the event store. */
export async function countEvents(app: TestApp): Promise<number> {
  const { rows } = await app.database.pool.query<{ count: string }>(
    "SELECT count(*) AS count FROM events",
  );
  return Number(rows[0]?.count);
}

/**
 * Counts the rows of the event store once the courier has settled: it appends delivery events
 * after a mail request, so the count is read until it stays the same for 300 ms.
 */
export async function settledEventCount(app: TestApp): Promise<number> {
  let previous = await countEvents(app);
  for (let attempt = 0; attempt < 50; attempt += 1) {
    await sleep(300);
    const current = await countEvents(app);
    if (current === previous) return current;
    previous = current;
  }
  throw new Error("the event count did not settle within 15 seconds");
}

export interface Registered {
  identityId: string;
  sessionId: string;
  token: string;
  body: FlowBody;
}

/** Registers an identity through the native flow and returns its first session. */
export async function register(
  app: TestApp,
  email: string,
  password = goodPassword,
  traits: Record<string, unknown> = {},
): Promise<Registered> {
  const flow = await publicCall(app, "GET", "/self-service/registration/api");
  const done = await publicCall(app, "POST", `/self-service/registration?flow=${flow.body.id}`, {
    json: { method: "password", password, traits: { email, ...traits } },
  });
  if (done.status !== 200) {
    throw new Error(`registration of ${email} failed with ${done.status}: ${done.text}`);
  }
  return {
    identityId: done.body.identity.id,
    sessionId: done.body.session.id,
    token: done.body.session_token,
    body: done.body,
  };
}

/** Submits a native password login on a fresh flow and returns the response. */
export async function login(
  app: TestApp,
  identifier: string,
  password: string,
  options: SendOptions = {},
): Promise<Reply> {
  const flow = await publicCall(app, "GET", "/self-service/login/api");
  return publicCall(app, "POST", `/self-service/login?flow=${flow.body.id}`, {
    ...options,
    json: { method: "password", identifier, password },
  });
}

/** Returns the session token of a flow response's `set_ory_session_token` item, if any. */
export function continueWithToken(body: FlowBody): string | undefined {
  const items: { action: string; ory_session_token?: string }[] = body?.continue_with ?? [];
  return items.find((item) => item.action === "set_ory_session_token")?.ory_session_token;
}

/**
 * Returns the mails that the courier's capture server received for `address`, oldest first,
 * only those whose subject matches `subject` when it is given.
 */
export function mailsTo(app: TestApp, address: string, subject?: RegExp): CapturedMail[] {
  const capture = app.registrar.courier.captureServer;
  if (!capture) throw new Error("the app runs no SMTP capture server");
  return capture
    .messages()
    .filter((mail) => mail.envelope.to.includes(address))
    .filter((mail) => subject === undefined || subject.test(mail.headers.subject?.[0] ?? ""));
}

/** Waits for mail number `skip + 1` to `address` (of `subject`) and returns its decoded text. */
export function waitForMail(
  app: TestApp,
  address: string,
  skip = 0,
  subject?: RegExp,
): Promise<string> {
  return eventually(async () => {
    const mail = mailsTo(app, address, subject)[skip];
    if (!mail) throw new Error(`no mail number ${skip + 1} to ${address} yet`);
    return mailText(mail.raw);
  }, 15_000);
}

/** Generates a session token of the right shape that was never issued. */
export function forgedToken(): string {
  return `rgst_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url")}`;
}
