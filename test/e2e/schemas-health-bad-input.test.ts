import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { countEvents, expectErrorEnvelope, publicCall, type SendOptions } from "./support.ts";

let app: TestApp;
let eventsBefore: number;

beforeAll(async () => {
  app = await startTestApp("e2e_schemas_health_bad_input");
  eventsBefore = await countEvents(app);
});

afterAll(async () => {
  await app?.close();
});

const sql = "' OR 1=1 --";
const base64url = (text: string) => Buffer.from(text).toString("base64url");

const hostileBodies: { name: string; options: SendOptions; status: number; errorId: string }[] = [
  { name: "malformed JSON", options: { raw: "{" }, status: 400, errorId: "bad_request" },
  {
    name: "body over the size limit",
    options: { raw: "x".repeat(200 * 1024) },
    status: 413,
    errorId: "request_body_too_large",
  },
  {
    name: "XML content type",
    options: { raw: "<a/>", contentType: "text/xml" },
    status: 415,
    errorId: "unsupported_media_type",
  },
  { name: "NUL byte", options: { raw: '{"a":"\\u0000"}' }, status: 400, errorId: "bad_request" },
  {
    name: "__proto__ key",
    options: { raw: '{"__proto__":{"x":1}}' },
    status: 400,
    errorId: "bad_request",
  },
];

const readRoutes = ["/schemas", "/schemas/default", "/health/alive", "/health/ready"];

describe("schema and health routes with bad input", () => {
  for (const body of hostileBodies) {
    it(`rejects ${body.name}`, async () => {
      for (const path of readRoutes) {
        const reply = await publicCall(app, "GET", path, body.options);
        expectErrorEnvelope(reply, body.status, body.errorId, `GET ${path} with ${body.name}`);
      }
    });
  }

  it("rejects unknown and hostile schema ids", async () => {
    const ids = [
      encodeURIComponent(sql),
      "__proto__",
      "constructor",
      "toString",
      "hasOwnProperty",
      base64url("__proto__"),
      base64url("constructor"),
      base64url(sql),
      "default%00",
      "d".repeat(8_000),
      "..%2F..%2Fpackage.json",
      encodeURIComponent("file:///etc/passwd"),
      encodeURIComponent("http://127.0.0.1:1/schema.json"),
      "%E0%A4%A",
      "unknown",
    ];
    for (const id of ids) {
      const reply = await publicCall(app, "GET", `/schemas/${id}`);
      expectErrorEnvelope(reply, 404, "not_found", `GET /schemas/${id.slice(0, 40)}`);
    }
  });

  it("serves the default schema both ways", async () => {
    for (const id of ["default", base64url("default")]) {
      const reply = await publicCall(app, "GET", `/schemas/${id}`);
      expect(reply.status, `GET /schemas/${id}: ${reply.text.slice(0, 200)}`).toBe(200);
      expect(reply.body?.title, `GET /schemas/${id} title`).toBe("Person");
    }
  });

  it("ignores hostile list query parameters", async () => {
    const queries = [
      `page=${encodeURIComponent(sql)}&per_page=${encodeURIComponent(sql)}`,
      "page=1&page=0",
      "per_page=-5",
      "page_size=99999999999999999999",
    ];
    for (const query of queries) {
      const reply = await publicCall(app, "GET", `/schemas?${query}`);
      expect(reply.status, `GET /schemas?${query}: ${reply.text.slice(0, 200)}`).toBe(200);
      expect(Array.isArray(reply.body), `GET /schemas?${query} returns a list`).toBe(true);
    }
  });

  it("rejects unknown health paths", async () => {
    for (const path of ["/health/unknown", `/health/${encodeURIComponent(sql)}`, "/health/"]) {
      const reply = await publicCall(app, "GET", path);
      expectErrorEnvelope(reply, 404, "not_found", `GET ${path}`);
    }
  });

  it("serves health with repeated parameters", async () => {
    for (const path of [
      "/health/alive?x=1&x=2",
      `/health/ready?check=${encodeURIComponent(sql)}`,
    ]) {
      const reply = await publicCall(app, "GET", path);
      expect(reply.status, `GET ${path}: ${reply.text.slice(0, 200)}`).toBe(200);
      expect(reply.body, `GET ${path} body`).toEqual({ status: "ok" });
    }
    expect(await countEvents(app), "read routes append no event").toBe(eventsBefore);
  });

  // NOTE: @koa/router's allowedMethods() responds 405 with the text "Method Not Allowed", so a
  // wrong method gets no error envelope.
  it("wraps 405 in the error envelope", async () => {
    for (const [method, path] of [
      ["POST", "/health/alive"],
      ["DELETE", "/schemas"],
      ["PUT", "/self-service/registration"],
    ] as const) {
      const reply = await publicCall(app, method, path);
      expectErrorEnvelope(reply, 405, "method_not_allowed", `${method} ${path}`);
      expect(reply.headers.allow, `${method} ${path} Allow header`).toBeTruthy();
    }
  });
});
