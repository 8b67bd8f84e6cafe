import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FlowTestApp, jsonOf, startFlowTestApp } from "./harness.ts";

let app: FlowTestApp;
let recoveryFlowId: string;
let verificationFlowId: string;
let identityId: string;

beforeAll(async () => {
  app = await startFlowTestApp("flow_bad_input");
  const { data: registration } = await app.frontend.createNativeRegistrationFlow();
  const { data } = await app.frontend.updateRegistrationFlow({
    flow: registration.id,
    updateRegistrationFlowBody: {
      method: "password",
      traits: { email: "target@example.com" },
      password: "correct horse battery staple 42",
    },
  });
  identityId = data.identity.id;
  recoveryFlowId = (await app.frontend.createNativeRecoveryFlow()).data.id;
  verificationFlowId = (await app.frontend.createNativeVerificationFlow()).data.id;
});

afterAll(async () => {
  await app?.close();
});

async function countEvents(): Promise<number> {
  const { rows } = await app.database.pool.query<{ count: number }>(
    "SELECT count(*)::int AS count FROM events WHERE stream_id LIKE 'identity-%'",
  );
  return rows[0]!.count;
}

interface BadRequest {
  name: string;
  port: "public" | "admin";
  method: "GET" | "POST";
  path: () => string;
  body?: string;
  status: number;
  /** `error.id` of an error envelope, or the message id on the flow's `email` node. */
  errorId?: string;
  messageId?: number;
}

const overlong = `${"a".repeat(400)}@example.com`;

function flowCases(kind: "recovery" | "verification"): BadRequest[] {
  const flowId = () => (kind === "recovery" ? recoveryFlowId : verificationFlowId);
  const submit = () => `/self-service/${kind}?flow=${flowId()}`;
  const post = (name: string, body: string, expected: Partial<BadRequest>): BadRequest => ({
    name: `${kind}: ${name}`,
    port: "public",
    method: "POST",
    path: submit,
    body,
    status: 400,
    ...expected,
  });
  return [
    post("malformed JSON", '{"method": "code", "email": ', { errorId: "bad_request" }),
    post("method of wrong type", '{"method": 5}', { errorId: "bad_request" }),
    post("unknown method", '{"method": "password"}', { errorId: "bad_request" }),
    post("email of wrong type", '{"method": "code", "email": 5}', { errorId: "bad_request" }),
    post("email as array", '{"method": "code", "email": ["a@b.c"]}', { errorId: "bad_request" }),
    post("code of wrong type", '{"method": "code", "code": {"a": 1}}', {
      errorId: "bad_request",
    }),
    post("NUL byte in email", '{"method": "code", "email": "a\\u0000@example.com"}', {
      errorId: "bad_request",
    }),
    post("__proto__ key", '{"method": "code", "__proto__": {"email": "x@example.com"}}', {
      errorId: "bad_request",
    }),
    post("overlong email", JSON.stringify({ method: "code", email: overlong }), {
      messageId: 4000017,
    }),
    post("malformed email", JSON.stringify({ method: "code", email: "not an email" }), {
      messageId: 4000040,
    }),
    post("missing email", JSON.stringify({ method: "link" }), { messageId: 4000002 }),
    {
      name: `${kind}: non-UUID flow id`,
      port: "public",
      method: "POST",
      path: () => `/self-service/${kind}?flow=not-a-uuid`,
      body: '{"method": "code", "email": "target@example.com"}',
      status: 404,
      errorId: "not_found",
    },
    {
      name: `${kind}: missing flow id`,
      port: "public",
      method: "POST",
      path: () => `/self-service/${kind}`,
      body: '{"method": "code", "email": "target@example.com"}',
      status: 400,
      errorId: "bad_request",
    },
    {
      name: `${kind}: repeated flow id`,
      port: "public",
      method: "GET",
      path: () => `/self-service/${kind}/flows?id=${flowId()}&id=${flowId()}`,
      status: 404,
      errorId: "not_found",
    },
    {
      name: `${kind}: NUL id on fetch`,
      port: "public",
      method: "GET",
      path: () => `/self-service/${kind}/flows?id=%00`,
      status: 400,
      errorId: "bad_request",
    },
  ];
}

function adminCases(path: string): BadRequest[] {
  const post = (name: string, body: string, status = 400, errorId = "bad_request") => ({
    name: `${path}: ${name}`,
    port: "admin" as const,
    method: "POST" as const,
    path: () => path,
    body,
    status,
    errorId,
  });
  return [
    post("malformed JSON", '{"identity_id": '),
    post("missing identity_id", "{}"),
    post("non-UUID identity_id", '{"identity_id": "42"}'),
    post("identity_id of wrong type", '{"identity_id": 42}'),
    post("NUL byte", '{"identity_id": "\\u0000"}'),
    post("__proto__ key", '{"__proto__": {"identity_id": "x"}}'),
    post("array body", "[]"),
    post("expires_in of wrong type", JSON.stringify({ identity_id: "", expires_in: 5 })),
  ];
}

const cases: BadRequest[] = [
  ...flowCases("recovery"),
  ...flowCases("verification"),
  ...adminCases("/admin/recovery/code"),
  ...adminCases("/admin/recovery/link"),
  {
    name: "verification: return_to of another origin",
    port: "public",
    method: "GET",
    path: () => "/self-service/verification/api?return_to=javascript:alert(1)",
    status: 400,
    errorId: "self_service_flow_return_to_forbidden",
  },
];

describe("bad input", () => {
  it("rejects every case without events", async () => {
    const eventsBefore = await countEvents();
    for (const testCase of cases) {
      const base = testCase.port === "public" ? app.publicUrl : app.adminUrl;
      const headers: Record<string, string> = { "Content-Type": "application/json" };
      if (testCase.port === "admin") headers.Authorization = `Bearer ${app.adminKey}`;
      const response = await fetch(`${base}${testCase.path()}`, {
        method: testCase.method,
        headers,
        ...(testCase.body !== undefined && { body: testCase.body }),
      });
      const body = await jsonOf(response);

      expect(response.status, testCase.name).toBe(testCase.status);
      if (testCase.errorId !== undefined) {
        expect(body.error?.id, testCase.name).toBe(testCase.errorId);
      }
      if (testCase.messageId !== undefined) {
        const email = body.ui.nodes.find(
          (node: { attributes: { name?: string } }) => node.attributes.name === "email",
        );
        expect(
          email.messages.map((message: { id: number }) => message.id),
          testCase.name,
        ).toEqual([testCase.messageId]);
      }
    }
    expect(await countEvents()).toBe(eventsBefore);
    expect(app.logs.some((line) => /"level":"(error|fatal)"/.test(line))).toBe(false);
  });

  it("keeps a valid submission working", async () => {
    const { data, status } = await app.frontend.updateRecoveryFlow({
      flow: recoveryFlowId,
      updateRecoveryFlowBody: { method: "code", email: "target@example.com" },
    });
    expect(status).toBe(200);
    expect(data.state).toBe("sent_email");
    expect(identityId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
