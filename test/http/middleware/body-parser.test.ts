import Koa from "koa";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { bodyParser, requestBody } from "../../../src/http/middleware/body-parser.ts";
import { errorHandler } from "../../../src/http/middleware/error-handler.ts";
import { requestId } from "../../../src/http/middleware/request-id.ts";
import { capturingLogger, rawRequest, startServer, type TestServer } from "./server.ts";

const LIMIT = 100 * 1024;
let server: TestServer;
let smallLimitServer: TestServer;
let patchServer: TestServer;

function echoApp(options: Parameters<typeof bodyParser>[0] = {}): Koa {
  const app = new Koa();
  app.use(requestId());
  app.use(errorHandler({ logger: capturingLogger().logger }));
  app.use(bodyParser(options));
  app.use((ctx) => {
    ctx.body = { body: requestBody(ctx) ?? null };
  });
  return app;
}

beforeAll(async () => {
  server = await startServer(echoApp());
  smallLimitServer = await startServer(echoApp({ limitBytes: 16 }));
  patchServer = await startServer(
    echoApp({
      jsonTypes: ["application/json", "application/json-patch+json"],
      root: "any",
      form: false,
    }),
  );
});

afterAll(async () => {
  await server.close();
  await smallLimitServer.close();
  await patchServer.close();
});

/** The echo route's body on success, or the error envelope on failure. */
interface EchoJson {
  body: Record<string, unknown> | null;
  error: { id: string; message: string; details?: unknown };
}

async function post(body: string | Uint8Array, contentType?: string, base = server.url) {
  const headers: Record<string, string> = {};
  if (contentType !== undefined) headers["Content-Type"] = contentType;
  const response = await fetch(`${base}/submit`, { method: "POST", headers, body });
  const json = (await response.json()) as EchoJson;
  return { status: response.status, headers: response.headers, json };
}

async function expectRejected(
  response: Promise<{ status: number; json: EchoJson }>,
  status: number,
  id: string,
): Promise<string> {
  const { status: actualStatus, json } = await response;
  expect(json.error?.id).toBe(id);
  expect(actualStatus).toBe(status);
  return json.error.message;
}

describe("JSON bodies", () => {
  test("parses a JSON object", async () => {
    const { status, json } = await post(
      '{"identifier":"ada","password":"pw","method":"password"}',
      "application/json",
    );

    expect(status).toBe(200);
    expect(json.body).toEqual({ identifier: "ada", password: "pw", method: "password" });
  });

  test("accepts an explicit utf-8 charset", async () => {
    const { status, json } = await post('{"name":"Zoë"}', "application/json; charset=UTF-8");

    expect(status).toBe(200);
    expect(json.body).toEqual({ name: "Zoë" });
  });

  test("expands dotted top-level keys", async () => {
    const body = JSON.stringify({
      "traits.email": "ada@example.com",
      "traits.name.first": "Ada",
      traits: { age: 36 },
      method: "password",
    });
    const { json } = await post(body, "application/json");

    expect(json.body).toEqual({
      traits: { email: "ada@example.com", name: { first: "Ada" }, age: 36 },
      method: "password",
    });
  });

  test("keeps dotted keys inside nested objects", async () => {
    const { json } = await post('{"transient_payload":{"a.b":1}}', "application/json");

    expect(json.body).toEqual({ transient_payload: { "a.b": 1 } });
  });

  test("rejects a member set twice", async () => {
    const message = await expectRejected(
      post('{"traits":{"email":"a@x.io"},"traits.email":"b@x.io"}', "application/json"),
      400,
      "bad_request",
    );
    expect(message).toBe('The request body sets "traits.email" more than once.');
  });

  test("rejects a dotted key under a string", async () => {
    await expectRejected(
      post('{"traits":"x","traits.email":"b"}', "application/json"),
      400,
      "bad_request",
    );
  });

  test("rejects malformed JSON without its parser message", async () => {
    const { status, json } = await post('{"identifier": "ada",', "application/json");

    expect(json.error.id).toBe("bad_request");
    expect(status).toBe(400);
    expect(json.error.message).toBe("The request body is not valid JSON.");
    expect(JSON.stringify(json)).not.toMatch(/Unexpected|position|JSON\.parse/);
  });

  test.each([["[1,2]"], ['"text"'], ["null"], ["42"], ["true"]])(
    "rejects root %s",
    async (body) => {
      const message = await expectRejected(post(body, "application/json"), 400, "bad_request");
      expect(message).toBe("The request body must be a JSON object.");
    },
  );

  test("rejects nesting of 33 levels", async () => {
    const body = `${'{"a":'.repeat(33)}1${"}".repeat(33)}`;
    const message = await expectRejected(post(body, "application/json"), 400, "bad_request");
    expect(message).toBe("The request body is nested deeper than 32 levels.");
  });

  test("rejects nesting of 50,000 levels", async () => {
    const body = `${"[".repeat(50_000)}${"]".repeat(50_000)}`;
    const message = await expectRejected(post(body, "application/json"), 400, "bad_request");
    expect(message).toBe("The request body is nested deeper than 32 levels.");
  });

  test("ignores brackets inside strings", async () => {
    const brackets = `[{\\"${"[".repeat(40)}`;
    const { status } = await post(`{"a":"${brackets}"}`, "application/json");
    expect(status).toBe(200);
  });

  test("accepts nesting of 32 levels", async () => {
    const body = `${'{"a":'.repeat(32)}1${"}".repeat(32)}`;
    const { status } = await post(body, "application/json");
    expect(status).toBe(200);
  });

  test("rejects invalid UTF-8", async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"a":"'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}'),
    ]);
    const message = await expectRejected(post(bytes, "application/json"), 400, "bad_request");
    expect(message).toBe("The request body is not valid UTF-8.");
  });

  test("root any keeps a JSON Patch array", async () => {
    const patch = '[{"op":"replace","path":"/state","value":"inactive"}]';
    const { status, json } = await post(patch, "application/json-patch+json", patchServer.url);

    expect(status).toBe(200);
    expect(json.body).toEqual([{ op: "replace", path: "/state", value: "inactive" }]);
  });
});

describe("unsafe keys and values", () => {
  test.each([
    ['{"__proto__":{"polluted":true}}', "__proto__"],
    ['{"traits":{"__proto__":{"polluted":true}}}', "__proto__"],
    ['{"constructor":{"prototype":{"polluted":true}}}', "prototype"],
    ['{"a":[{"constructor":1}]}', "constructor"],
    ['{"traits.__proto__.polluted":true}', "__proto__"],
    ['{"traits.prototype":1}', "prototype"],
  ])("rejects %s", async (body, key) => {
    const message = await expectRejected(post(body, "application/json"), 400, "bad_request");

    expect(message).toBe(`The request body contains the forbidden key "${key}".`);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test("rejects NUL in a JSON string value", async () => {
    const message = await expectRejected(
      post('{"traits":{"email":"a\\u0000@x.io"}}', "application/json"),
      400,
      "bad_request",
    );
    expect(message).toBe("The request body contains a NUL character in a string value.");
  });

  test("rejects a lone surrogate in a JSON value", async () => {
    const message = await expectRejected(
      post('{"traits":{"name":{"first":"\\uD800"}}}', "application/json"),
      400,
      "bad_request",
    );
    expect(message).toBe("The request body contains a lone surrogate in a string value.");
  });

  test("rejects a lone surrogate in a JSON key", async () => {
    const message = await expectRejected(
      post('{"\\uDC00":1}', "application/json"),
      400,
      "bad_request",
    );
    expect(message).toBe("The request body contains a lone surrogate in a key.");
  });

  test("accepts a surrogate pair", async () => {
    const response = await post(
      '{"traits":{"name":{"first":"\\uD83D\\uDE00"}}}',
      "application/json",
    );
    expect(response.status).toBe(200);
  });

  test("rejects NUL in a JSON key", async () => {
    const message = await expectRejected(
      post('{"a\\u0000b":1}', "application/json"),
      400,
      "bad_request",
    );
    expect(message).toBe("The request body contains a NUL character in a key.");
  });

  test("rejects NUL inside an array value", async () => {
    await expectRejected(
      post('{"codes":["ok","x\\u0000"]}', "application/json"),
      400,
      "bad_request",
    );
  });

  test("rejects NUL in a form value", async () => {
    const message = await expectRejected(
      post("identifier=ada%00&method=password", "application/x-www-form-urlencoded"),
      400,
      "bad_request",
    );
    expect(message).toBe("The request body contains a NUL character in a string value.");
  });

  test("rejects NUL in a form key", async () => {
    const message = await expectRejected(
      post("ident%00ifier=ada", "application/x-www-form-urlencoded"),
      400,
      "bad_request",
    );
    expect(message).toBe("The request body contains a NUL character in a key.");
  });

  test("rejects __proto__ in a form key", async () => {
    const message = await expectRejected(
      post("__proto__.polluted=1", "application/x-www-form-urlencoded"),
      400,
      "bad_request",
    );
    expect(message).toBe('The request body contains the forbidden key "__proto__".');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("form bodies", () => {
  const FORM = "application/x-www-form-urlencoded";

  test("decodes dotted keys into objects", async () => {
    const body =
      "csrf_token=t0k&traits.email=ada%40example.com&traits.name.first=Ada+L&password=p%26w&method=password";
    const { status, json } = await post(body, FORM);

    expect(status).toBe(200);
    expect(json.body).toEqual({
      csrf_token: "t0k",
      traits: { email: "ada@example.com", name: { first: "Ada L" } },
      password: "p&w",
      method: "password",
    });
  });

  test("collects a repeated key into an array", async () => {
    const { json } = await post("traits.tos=false&traits.tos=true", FORM);
    expect(json.body).toEqual({ traits: { tos: ["false", "true"] } });
  });

  test("rejects an empty key segment", async () => {
    const message = await expectRejected(post("traits..email=a", FORM), 400, "bad_request");
    expect(message).toBe('The request body key "traits..email" has an empty segment.');
  });

  test("rejects a key both value and object", async () => {
    await expectRejected(post("traits=x&traits.email=a", FORM), 400, "bad_request");
  });

  test("matches the JSON decoding", async () => {
    const form = await post("traits.email=ada%40example.com&method=password", FORM);
    const json = await post(
      '{"traits.email":"ada@example.com","method":"password"}',
      "application/json",
    );

    expect(form.json.body).toEqual(json.json.body);
  });
});

describe("content type", () => {
  test.each([
    ["text/plain", 'The request body\'s content type "text/plain" is not supported.'],
    [
      "multipart/form-data; boundary=x",
      'The request body\'s content type "multipart/form-data" is not supported.',
    ],
    ["application/json; charset=latin1", 'The request body\'s charset "latin1" is not supported.'],
  ])("rejects %s with 415", async (contentType, expected) => {
    const message = await expectRejected(post("{}", contentType), 415, "unsupported_media_type");
    expect(message).toBe(expected);
  });

  test("rejects a body without content type", async () => {
    const response = await rawRequest(`${server.url}/submit`, {
      headers: { "Content-Length": "2" },
      chunks: ["{}"],
    });

    expect(JSON.parse(response.body).error.id).toBe("unsupported_media_type");
    expect(response.status).toBe(415);
  });

  test("rejects a compressed body", async () => {
    const response = await rawRequest(`${server.url}/submit`, {
      headers: {
        "Content-Type": "application/json",
        "Content-Encoding": "gzip",
        "Content-Length": "2",
      },
      chunks: ["{}"],
    });

    expect(JSON.parse(response.body).error.message).toBe(
      'The request body\'s content encoding "gzip" is not supported.',
    );
    expect(response.status).toBe(415);
  });

  test("415 closes an unread connection", async () => {
    const response = await rawRequest(`${server.url}/submit`, {
      headers: { "Content-Type": "text/plain" },
      chunks: ["x".repeat(1024)],
      end: false,
    });

    expect(response.status).toBe(415);
    expect(response.headers.connection).toBe("close");
  });

  test("400 after a full read keeps the connection", async () => {
    const { status, headers } = await post("{", "application/json");

    expect(status).toBe(400);
    expect(headers.get("connection")).toBe("keep-alive");
  });

  test("json-patch type needs the option", async () => {
    await expectRejected(post("[]", "application/json-patch+json"), 415, "unsupported_media_type");
  });

  test("form needs the option", async () => {
    await expectRejected(
      post("a=b", "application/x-www-form-urlencoded", patchServer.url),
      415,
      "unsupported_media_type",
    );
  });

  test("request without body passes", async () => {
    const response = await fetch(`${server.url}/flows?id=1`);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ body: null });
  });
});

describe("size limit", () => {
  function jsonOfSize(bytes: number): string {
    const padding = bytes - '{"p":""}'.length;
    return `{"p":"${"x".repeat(padding)}"}`;
  }

  test("accepts a body at the limit", async () => {
    const { status, json } = await post(jsonOfSize(LIMIT), "application/json");

    expect(status).toBe(200);
    expect(json.body?.p).toHaveLength(LIMIT - 8);
  });

  test("rejects a declared length past the limit", async () => {
    const { status, headers, json } = await post(jsonOfSize(LIMIT + 1), "application/json");

    expect(json.error.id).toBe("request_body_too_large");
    expect(status).toBe(413);
    expect(json.error.details).toEqual({ limit_bytes: LIMIT });
    expect(headers.get("connection")).toBe("close");
  });

  test("counts bytes of a chunked body", async () => {
    const chunk = "x".repeat(64 * 1024);
    const response = await rawRequest(`${server.url}/submit`, {
      headers: { "Content-Type": "application/json" },
      chunks: ['{"p":"', chunk, chunk, chunk, '"}'],
    });

    expect(JSON.parse(response.body).error.id).toBe("request_body_too_large");
    expect(response.status).toBe(413);
  });

  test("counts bytes against a small limit", async () => {
    const response = await rawRequest(`${smallLimitServer.url}/submit`, {
      headers: { "Content-Type": "application/json" },
      chunks: ['{"p":"', "0123456789", '"}'],
    });

    expect(JSON.parse(response.body).error.id).toBe("request_body_too_large");
    expect(response.status).toBe(413);
  });

  test("responds before an oversized body ends", async () => {
    // The body never ends, so a response proves the server stopped reading at the limit.
    const response = await rawRequest(`${server.url}/submit`, {
      headers: { "Content-Type": "application/json" },
      chunks: ['{"p":"', "x".repeat(LIMIT), "x".repeat(LIMIT)],
      end: false,
    });

    expect(JSON.parse(response.body).error.id).toBe("request_body_too_large");
    expect(response.status).toBe(413);
  });

  test("server keeps serving after a 413", async () => {
    await post(jsonOfSize(LIMIT * 3), "application/json");
    const { status } = await post('{"a":1}', "application/json");

    expect(status).toBe(200);
  });
});
