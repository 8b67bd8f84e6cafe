import { createHash, randomBytes } from "node:crypto";
import { Configuration, IdentityApi } from "@ory/client";
import { expect } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON responses
  body: any;
}

export interface RequestOptions {
  /** A value to send as JSON; a string is sent as it is. */
  body?: unknown;
  /** The API key; the bootstrap key when omitted, no Authorization header when null. */
  key?: string | null;
  headers?: Record<string, string>;
}

/** A read-only API key configured through `ADMIN_API_KEYS`, with `identities:read` only. */
export const readOnlyKey = randomBytes(32).toString("base64url");

/** Starts the whole app with the read-only key configured beside the bootstrap key. */
export function startAdminTestApp(label: string): Promise<TestApp> {
  const sha256 = createHash("sha256").update(readOnlyKey).digest("hex");
  return startTestApp(label, {
    ADMIN_API_KEYS: JSON.stringify([{ id: "reader", sha256, scopes: ["identities:read"] }]),
  });
}

/** Returns `@ory/client`'s identity API for the admin port, with the bootstrap key. */
export function identityApiOf(app: TestApp): IdentityApi {
  return new IdentityApi(new Configuration({ basePath: app.adminUrl, accessToken: app.adminKey }));
}

/** Sends a request to the admin port. */
export function admin(
  app: TestApp,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<ApiResponse> {
  const key = options.key === undefined ? app.adminKey : options.key;
  const headers: Record<string, string> = { ...options.headers };
  if (key !== null) headers.Authorization = `Bearer ${key}`;
  return send(`${app.adminUrl}${path}`, method, headers, options.body);
}

/** Sends a request to the public port. */
export function publicApi(
  app: TestApp,
  method: string,
  path: string,
  options: Omit<RequestOptions, "key"> = {},
): Promise<ApiResponse> {
  return send(`${app.publicUrl}${path}`, method, { ...options.headers }, options.body);
}

async function send(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: unknown,
): Promise<ApiResponse> {
  const init: RequestInit = { method, headers };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    headers["Content-Type"] ??= "application/json";
  }
  const response = await fetch(url, init);
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === "" ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, text, body: parsed };
}

/** Asserts Kratos's error envelope with the given status and id. */
export function expectError(response: ApiResponse, status: number, id: string): void {
  expect(response.status, response.text).toBe(status);
  expect(response.body?.error?.id, response.text).toBe(id);
  expect(response.body.error.code).toBe(status);
  expect(typeof response.body.error.message).toBe("string");
}

/** Creates an identity through the admin API and returns its JSON. */
export async function createIdentity(
  app: TestApp,
  body: Record<string, unknown>,
  // biome-ignore lint/suspicious/noExplicitAny: the identity JSON
): Promise<any> {
  const response = await admin(app, "POST", "/admin/identities", {
    body: { schema_id: "default", ...body },
  });
  expect(response.status, response.text).toBe(201);
  return response.body;
}

/**
 * Counts the events outside courier streams, which the mail worker appends in the background
 * whenever a message goes out, so that a request's own effect can be measured.
 */
export async function countEvents(app: TestApp): Promise<number> {
  const { rows } = await app.database.pool.query<{ count: string }>(
    "SELECT count(*) AS count FROM events WHERE stream_id NOT LIKE 'courier-%'",
  );
  return Number(rows[0]!.count);
}

/**
 * Registers an identity through the public native registration flow and returns its id and
 * session token.
 */
export async function registerThroughPublicApi(
  app: TestApp,
  email: string,
  password: string,
): Promise<{ identityId: string; sessionToken: string }> {
  const flow = await publicApi(app, "GET", "/self-service/registration/api");
  expect(flow.status, flow.text).toBe(200);
  const submitted = await publicApi(
    app,
    "POST",
    `/self-service/registration?flow=${flow.body.id}`,
    {
      body: { method: "password", traits: { email }, password },
    },
  );
  expect(submitted.status, submitted.text).toBe(200);
  return { identityId: submitted.body.identity.id, sessionToken: submitted.body.session_token };
}

/**
 * Signs in through the public native login flow. Returns the status and body of the submit, so
 * a test can assert both success and failure.
 */
export async function loginThroughPublicApi(
  app: TestApp,
  identifier: string,
  password: string,
): Promise<ApiResponse> {
  const flow = await publicApi(app, "GET", "/self-service/login/api");
  expect(flow.status, flow.text).toBe(200);
  return publicApi(app, "POST", `/self-service/login?flow=${flow.body.id}`, {
    body: { method: "password", identifier, password },
  });
}
