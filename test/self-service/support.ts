import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:net";
import { Configuration, FrontendApi } from "@ory/client";
import pino from "pino";
import type { RunningRegistrar } from "../../src/app/start.ts";
import type { Argon2Parameters } from "../../src/credential/index.ts";
import type { TestDatabase } from "../support/database.ts";
import { startRegistrarForTest } from "../support/start-registrar.ts";

/** A full Registrar on its own database, with the log lines it wrote. */
export interface TestApp {
  running: RunningRegistrar;
  database: TestDatabase;
  baseUrl: string;
  frontend: FrontendApi;
  /** The log lines written so far, parsed again on every read. */
  logLines: Record<string, unknown>[];
  stop(): Promise<void>;
}

export interface TestAppOptions {
  /** Configuration keys that replace the defaults below. */
  env?: Record<string, string>;
  hasherParameters?: Argon2Parameters;
}

/**
 * Starts both listeners and the projection runner on a fresh database, with explicit secrets
 * and a cheap password hasher unless the test needs another. No courier worker runs, and logs
 * are captured at info level. The per-IP login limit is high by default, because every request
 * of a test comes from 127.0.0.1.
 */
export async function startTestApp(label: string, options: TestAppOptions = {}): Promise<TestApp> {
  const app = await startRegistrarForTest(label, {
    env: {
      // A fixed port, so that every module uses the final public URL from the start.
      PUBLIC_PORT: String(await freePort()),
      RUN_WORKERS: "false",
      LOG_LEVEL: "info",
      LOGIN_ATTEMPTS_PER_IP: "100000",
      ...options.env,
    },
    hasherParameters: options.hasherParameters,
    // These tests compare numeric levels, which plain pino writes and Registrar's logger does not.
    createLogger: (level, destination) => pino({ level }, destination),
  });
  const baseUrl = `http://127.0.0.1:${app.running.publicPort}`;
  return {
    running: app.running,
    database: app.database,
    baseUrl,
    frontend: new FrontendApi(new Configuration({ basePath: baseUrl })),
    get logLines() {
      return parseLogLines(app.logs);
    },
    stop: () => app.close(),
  };
}

function parseLogLines(chunks: string[]): Record<string, unknown>[] {
  return chunks
    .flatMap((chunk) => chunk.split("\n"))
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Returns a port that was free a moment ago on 127.0.0.1. */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  if (address === null || typeof address === "string") throw new Error("no TCP port");
  return address.port;
}

/** A UI message (`uiText`) as the JSON of a flow carries it. */
export interface MessageJson {
  id: number;
  text: string;
  type: string;
  context?: Record<string, unknown>;
}

/** A UI node as the JSON of a flow carries it. */
export interface NodeJson {
  type: string;
  group: string;
  attributes: { name?: string; type?: string; value?: unknown; autocomplete?: string };
  messages: MessageJson[];
  meta: { label?: MessageJson };
}

/** The parts of a flow's JSON that the tests read. */
export interface FlowJson {
  id: string;
  ui: { action: string; method: string; nodes: NodeJson[]; messages?: MessageJson[] };
}

/** Returns the ids of UI messages, in order. */
export function messageIds(messages: MessageJson[] | undefined): number[] {
  return (messages ?? []).map((message) => message.id);
}

/** Finds the input node of a flow by its name. */
export function nodeNamed(flow: FlowJson, name: string): NodeJson | undefined {
  return flow.ui.nodes.find((candidate) => candidate.attributes.name === name);
}

export interface JsonResponse {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies.
  body: any;
}

/** Sends a request to the public port and parses the JSON answer. */
export async function send(
  app: TestApp,
  method: string,
  path: string,
  options: {
    json?: unknown;
    raw?: string;
    contentType?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<JsonResponse> {
  const headers: Record<string, string> = { Accept: "application/json", ...options.headers };
  let body: string | undefined;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers["Content-Type"] = "application/json";
  } else if (options.raw !== undefined) {
    body = options.raw;
    headers["Content-Type"] = options.contentType ?? "application/json";
  }
  const response = await fetch(`${app.baseUrl}${path}`, { method, headers, body });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text === "" ? undefined : JSON.parse(text),
  };
}

/** Registers an identity through the native registration flow and returns its session token. */
export async function registerIdentity(
  app: TestApp,
  email: string,
  password: string,
): Promise<{ identityId: string; token: string }> {
  const flow = await send(app, "GET", "/self-service/registration/api");
  const done = await send(app, "POST", `/self-service/registration?flow=${flow.body.id}`, {
    json: { method: "password", password, traits: { email } },
  });
  if (done.status !== 200) {
    throw new Error(`registration failed with ${done.status}: ${JSON.stringify(done.body)}`);
  }
  return { identityId: done.body.identity.id, token: done.body.session_token };
}

/** Submits a native password login and returns the raw answer. */
export async function login(
  app: TestApp,
  identifier: unknown,
  password: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse> {
  const flow = await send(app, "GET", "/self-service/login/api");
  return send(app, "POST", `/self-service/login?flow=${flow.body.id}`, {
    json: { method: "password", identifier, password },
    headers,
  });
}

/**
 * Counts the events that no rejected request may add: all but those of courier streams, which
 * the mail worker appends in the background whenever a message goes out.
 */
export async function countEvents(app: TestApp): Promise<number> {
  const { rows } = await app.database.pool.query<{ count: string }>(
    "SELECT count(*) AS count FROM events WHERE stream_id NOT LIKE 'courier-%'",
  );
  return Number(rows[0]?.count);
}

/**
 * Creates an identity through the command handler, as an administrator's import would, and
 * waits until the read model has it. Without `hashedPassword` it has a password identifier but
 * no password, like an identity that signed up through a social provider.
 */
export async function createIdentity(
  app: TestApp,
  input: { email: string; hashedPassword?: string; state?: "active" | "inactive" },
): Promise<string> {
  const { registrar } = app.running;
  const identityId = randomUUID();
  const outcome = await registrar.identities.execute(
    {
      type: "CreateIdentity",
      identityId,
      schemaId: "default",
      traits: { email: input.email },
      ...(input.state && { state: input.state }),
      identifiers: { password: [input.email] },
      ...(input.hashedPassword && { password: { hashedPassword: input.hashedPassword } }),
      verifiableAddresses: [],
      recoveryAddresses: [],
      now: new Date().toISOString(),
    },
    { actor: { type: "system", id: "test" } },
  );
  if (!outcome.ok) throw new Error(`identity not created: ${outcome.error.code}`);
  if (outcome.position) await registrar.sessions.waitForIdentities(outcome.position);
  return identityId;
}
