import Koa from "koa";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { WrongExpectedVersionError } from "../../../src/eventstore/errors.ts";
import {
  badRequest,
  conflict,
  internalServerError,
  RegistrarError,
  rateLimited,
} from "../../../src/http/errors.ts";
import {
  browserLocationChangeRequired,
  securityCsrfViolation,
  selfServiceFlowExpiredError,
} from "../../../src/http/kratos/flow-errors.ts";
import { errorHandler } from "../../../src/http/middleware/error-handler.ts";
import { requestId } from "../../../src/http/middleware/request-id.ts";
import { describeErrors, loadKratosSchemas } from "../kratos/openapi-schemas.ts";
import {
  capturingLogger,
  LEVEL,
  type LogLine,
  rawRequest,
  startServer,
  type TestServer,
} from "./server.ts";

const SECRET = "password=hunter2 at db.internal:5432";
const FLOW_ID = "5e8a1c2b-3d4f-4a6b-9c8d-7e6f5a4b3c2d";
const schema = loadKratosSchemas();

let server: TestServer;
let lines: LogLine[];

// Each path throws a different kind of failure.
const failures: Record<string, () => never> = {
  "/plain-error": () => {
    throw new Error(SECRET);
  },
  "/thrown-string": () => {
    throw SECRET;
  },
  "/koa-404": () => {
    throw Object.assign(new Error(SECRET), { status: 404, expose: true });
  },
  "/koa-418": () => {
    throw Object.assign(new Error(SECRET), { status: 418, expose: true });
  },
  "/koa-500": () => {
    throw Object.assign(new Error(SECRET), { status: 500, expose: false });
  },
  "/conflict": () => {
    throw conflict({ message: "The identity already exists.", cause: new Error(SECRET) });
  },
  "/version-conflict": () => {
    throw new WrongExpectedVersionError("identity-1", 3, 5);
  },
  "/wrapped-fault": () => {
    throw internalServerError(new Error(SECRET));
  },
  "/csrf": () => {
    throw securityCsrfViolation();
  },
  "/rate-limited": () => {
    throw rateLimited(2.5);
  },
  "/location-change": () => {
    throw browserLocationChangeRequired(
      "https://auth.example.com/self-service/login/browser?aal=aal2",
    );
  },
  "/flow-expired": () => {
    throw selfServiceFlowExpiredError({
      expiredAt: new Date("2026-01-01T09:55:00.000Z"),
      now: new Date("2026-01-01T10:00:00.000Z"),
      useFlowId: FLOW_ID,
      redirectTo: "https://auth.example.com/self-service/login/browser",
    });
  },
};

beforeAll(async () => {
  const captured = capturingLogger();
  lines = captured.lines;

  const app = new Koa();
  app.use(requestId());
  app.use(errorHandler({ logger: captured.logger }));
  app.use(async (ctx, next) => {
    // Headers meant for a success, which a fault must not leak.
    ctx.set("Set-Cookie", "ory_kratos_session=abc; HttpOnly");
    ctx.set("Cache-Control", "public, max-age=60");
    const fail = failures[ctx.path];
    if (fail !== undefined) fail();
    if (ctx.path === "/ok") ctx.body = { ok: true };
    await next();
  });
  server = await startServer(app);
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  lines.length = 0;
});

async function get(path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}${path}`, { headers });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: JSON.parse(text) };
}

describe("unexpected errors", () => {
  test.each([["/plain-error"], ["/thrown-string"], ["/koa-500"], ["/wrapped-fault"]])(
    "%s becomes a bland 500",
    async (path) => {
      const { status, headers, text, json } = await get(path);

      expect(json.error.id).toBe("internal_server_error");
      expect(status).toBe(500);
      expect(json).toEqual({
        error: {
          id: "internal_server_error",
          code: 500,
          status: "Internal Server Error",
          message: "The server failed to complete the request.",
          reason:
            "Retry later. If the error persists, contact the operator and quote the request id.",
          request: headers.get("x-request-id"),
        },
      });
      expect(text).not.toContain("hunter2");
      expect(text).not.toContain("stack");
      expect(headers.get("content-type")).toBe("application/json; charset=utf-8");
    },
  );

  test("fault drops headers set for success", async () => {
    const { headers } = await get("/plain-error");

    expect(headers.get("set-cookie")).toBeNull();
    expect(headers.get("cache-control")).toBeNull();
    expect(headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  test("logs the cause at error level", async () => {
    const { headers } = await get("/plain-error?token=secret-token");
    const line = lines.at(-1);

    expect(line?.level).toBe(LEVEL.error);
    expect(line?.msg).toBe("request failed");
    expect(line?.error_id).toBe("internal_server_error");
    expect(line?.request_id).toBe(headers.get("x-request-id"));
    expect(line?.path).toBe("/plain-error");
    const err = line?.err as { message: string; stack: string } | undefined;
    expect(err?.message).toBe(SECRET);
    expect(err?.stack).toContain("error-handler.test.ts");
    expect(JSON.stringify(lines)).not.toContain("secret-token");
  });

  test("logs the wrapped cause", async () => {
    await get("/wrapped-fault");

    expect(lines.at(-1)?.level).toBe(LEVEL.error);
    expect((lines.at(-1)?.err as { message: string } | undefined)?.message).toBe(SECRET);
  });
});

describe("client errors", () => {
  test("renders a RegistrarError with its id", async () => {
    const { status, json, headers } = await get("/conflict", { "X-Request-Id": "req-123" });

    expect(json).toEqual({
      error: {
        id: "conflict",
        code: 409,
        status: "Conflict",
        message: "The identity already exists.",
        reason: "Reload the resource and retry.",
        request: "req-123",
      },
    });
    expect(status).toBe(409);
    expect(headers.get("x-request-id")).toBe("req-123");
    expect(headers.get("set-cookie")).not.toBeNull();
  });

  test("renders a lasting version conflict as 409", async () => {
    const { status, json } = await get("/version-conflict");

    expect(status).toBe(409);
    expect(json.error.id).toBe("conflict");
    expect(JSON.stringify(json)).not.toContain("identity-1");
    expect(lines.at(-1)).toMatchObject({
      level: LEVEL.warn,
      stream_id: "identity-1",
      expected_version: 3,
      actual_version: 5,
    });
  });

  test("logs expected failures at info without cause", async () => {
    await get("/conflict");
    const line = lines.at(-1);

    expect(line?.level).toBe(LEVEL.info);
    expect(line?.msg).toBe("request rejected");
    expect(line?.error_id).toBe("conflict");
    expect(line?.status).toBe(409);
    expect(line).not.toHaveProperty("err");
    expect(JSON.stringify(lines)).not.toContain("hunter2");
  });

  test("logs CSRF violations at warn", async () => {
    const { status, json } = await get("/csrf");

    expect(json.error.id).toBe("security_csrf_violation");
    expect(status).toBe(403);
    expect(lines.at(-1)?.level).toBe(LEVEL.warn);
  });

  test("rate limit sets Retry-After", async () => {
    const { status, json, headers } = await get("/rate-limited");

    expect(json.error.id).toBe("rate_limited");
    expect(status).toBe(429);
    expect(headers.get("retry-after")).toBe("3");
    expect(json.error.details).toEqual({ retry_after_seconds: 3 });
    expect(lines.at(-1)?.level).toBe(LEVEL.warn);
  });

  test("status errors get generic ids", async () => {
    const notFound = await get("/koa-404");
    const teapot = await get("/koa-418");

    expect(notFound.json.error.id).toBe("not_found");
    expect(notFound.status).toBe(404);
    expect(notFound.json.error.message).toBe("The requested resource could not be found.");
    expect(teapot.json.error.id).toBe("bad_request");
    expect(teapot.status).toBe(400);
    expect(notFound.text + teapot.text).not.toContain("hunter2");
  });

  test("unmatched route becomes not_found", async () => {
    const { status, json } = await get("/nowhere");

    expect(json.error.id).toBe("not_found");
    expect(status).toBe(404);
    expect(lines.at(-1)?.level).toBe(LEVEL.info);
  });

  test("success passes through", async () => {
    const { status, json } = await get("/ok");

    expect(status).toBe(200);
    expect(json).toEqual({ ok: true });
    expect(lines).toEqual([]);
  });
});

describe("Kratos envelopes", () => {
  test("error bodies match errorGeneric", async () => {
    const validate = schema("errorGeneric");
    for (const path of ["/plain-error", "/conflict", "/csrf", "/rate-limited", "/nowhere"]) {
      const { json } = await get(path);
      expect(validate(json), `${path}: ${describeErrors(validate)}`).toBe(true);
    }
  });

  test("location change puts redirect at top level", async () => {
    const { status, json } = await get("/location-change");
    const validate = schema("errorBrowserLocationChangeRequired");

    expect(json.error.id).toBe("browser_location_change_required");
    expect(status).toBe(422);
    expect(json.redirect_browser_to).toBe(
      "https://auth.example.com/self-service/login/browser?aal=aal2",
    );
    expect(validate(json), describeErrors(validate)).toBe(true);
  });

  test("expired flow carries use_flow_id and since", async () => {
    const { status, json } = await get("/flow-expired");
    const validate = schema("selfServiceFlowExpiredError");

    expect(json.error.id).toBe("self_service_flow_expired");
    expect(status).toBe(410);
    expect(json.error.status).toBe("Gone");
    expect(json.error.reason).toBe(
      "The self-service flow expired 5.00 minutes ago, initialize a new one.",
    );
    expect(json.error.details).toEqual({
      redirect_to: "https://auth.example.com/self-service/login/browser",
    });
    expect(json.use_flow_id).toBe(FLOW_ID);
    expect(json.expired_at).toBe("2026-01-01T09:55:00.000Z");
    expect(json.since).toBe(5 * 60 * 1e9);
    expect(validate(json), describeErrors(validate)).toBe(true);
  });
});

describe("request id", () => {
  test("keeps a sane incoming id", async () => {
    const { headers, json } = await get("/conflict", { "X-Request-Id": "a1b2:c3/d4+e5=" });

    expect(headers.get("x-request-id")).toBe("a1b2:c3/d4+e5=");
    expect(json.error.request).toBe("a1b2:c3/d4+e5=");
  });

  test.each([["has spaces in it"], ["x".repeat(129)], ["<script>"], ["a,b"]])(
    "replaces insane id %s",
    async (incoming) => {
      const { headers } = await get("/ok", { "X-Request-Id": incoming });

      expect(headers.get("x-request-id")).not.toBe(incoming);
      expect(headers.get("x-request-id")).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4/);
    },
  );

  test("generates distinct ids", async () => {
    const first = (await get("/ok")).headers.get("x-request-id");
    const second = (await get("/ok")).headers.get("x-request-id");

    expect(first).not.toBe(second);
  });

  test("untrusted mode ignores incoming ids", async () => {
    const app = new Koa();
    app.use(requestId({ trustIncoming: false }));
    app.use((ctx) => {
      ctx.body = { id: ctx.state.requestId };
    });
    const untrusted = await startServer(app);
    try {
      const response = await rawRequest(`${untrusted.url}/`, {
        method: "GET",
        headers: { "X-Request-Id": "chosen-by-client" },
      });

      expect(response.headers["x-request-id"]).not.toBe("chosen-by-client");
      expect(JSON.parse(response.body).id).toBe(response.headers["x-request-id"]);
    } finally {
      await untrusted.close();
    }
  });
});

describe("RegistrarError", () => {
  test("keeps cause out of the message", () => {
    const cause = new Error(SECRET);
    const error = badRequest({ cause });

    expect(error).toBeInstanceOf(RegistrarError);
    expect(error.cause).toBe(cause);
    expect(error.message).toBe("The request is invalid.");
  });
});
