import { describe, expect, test } from "vitest";
import {
  badRequest,
  conflict,
  type ErrorId,
  forbidden,
  internalServerError,
  methodNotAllowed,
  notFound,
  type RegistrarError,
  rateLimited,
  renderErrorEnvelope,
  requestBodyTooLarge,
  serviceUnavailable,
  statusOfErrorId,
  unauthorized,
  unsupportedMediaType,
} from "../../../src/http/errors.ts";
import {
  browserLocationChangeRequired,
  identityDisabled,
  securityCsrfViolation,
  securityIdentityMismatch,
  selfServiceFlowDisabled,
  selfServiceFlowExpiredError,
  selfServiceFlowReplaced,
  selfServiceFlowReturnToForbidden,
  sessionAal1Required,
  sessionAal2Required,
  sessionAalAlreadyFulfilled,
  sessionAlreadyAvailable,
  sessionInactive,
  sessionRefreshRequired,
  sessionVerifiedAddressRequired,
} from "../../../src/http/kratos/flow-errors.ts";
import { describeErrors, loadKratosSchemas } from "./openapi-schemas.ts";

const schema = loadKratosSchemas();
const LOGIN_URL = "https://auth.example.com/self-service/login/browser?aal=aal2";
const FLOW_ID = "5e8a1c2b-3d4f-4a6b-9c8d-7e6f5a4b3c2d";

const CONSTRUCTED: [ErrorId, number, RegistrarError][] = [
  ["session_inactive", 401, sessionInactive()],
  ["session_aal1_required", 401, sessionAal1Required()],
  ["session_aal2_required", 403, sessionAal2Required(LOGIN_URL)],
  ["session_aal_already_fulfilled", 401, sessionAalAlreadyFulfilled()],
  ["session_already_available", 400, sessionAlreadyAvailable()],
  ["session_refresh_required", 403, sessionRefreshRequired(LOGIN_URL)],
  ["session_verified_address_required", 403, sessionVerifiedAddressRequired([])],
  ["browser_location_change_required", 422, browserLocationChangeRequired(LOGIN_URL)],
  [
    "self_service_flow_expired",
    410,
    selfServiceFlowExpiredError({ expiredAt: new Date(0), now: new Date(60_000) }),
  ],
  ["self_service_flow_replaced", 410, selfServiceFlowReplaced(FLOW_ID)],
  ["self_service_flow_disabled", 400, selfServiceFlowDisabled()],
  ["self_service_flow_return_to_forbidden", 400, selfServiceFlowReturnToForbidden("https://x")],
  ["security_csrf_violation", 403, securityCsrfViolation()],
  ["security_identity_mismatch", 403, securityIdentityMismatch()],
  ["identity_disabled", 400, identityDisabled()],
  ["bad_request", 400, badRequest()],
  ["unauthorized", 401, unauthorized()],
  ["forbidden", 403, forbidden()],
  ["not_found", 404, notFound()],
  ["method_not_allowed", 405, methodNotAllowed(["GET"])],
  ["conflict", 409, conflict()],
  ["request_body_too_large", 413, requestBodyTooLarge(1024)],
  ["unsupported_media_type", 415, unsupportedMediaType()],
  ["rate_limited", 429, rateLimited(1)],
  ["internal_server_error", 500, internalServerError(new Error("cause"))],
  ["service_unavailable", 503, serviceUnavailable()],
];

// Errors with top-level fields next to `error` have their own schema in the OpenAPI document.
const ENVELOPE_SCHEMAS: Partial<Record<ErrorId, string>> = {
  session_aal2_required: "errorAuthenticatorAssuranceLevelNotSatisfied",
  session_refresh_required: "errorAuthenticatorAssuranceLevelNotSatisfied",
  browser_location_change_required: "errorBrowserLocationChangeRequired",
  self_service_flow_expired: "selfServiceFlowExpiredError",
  self_service_flow_replaced: "errorFlowReplaced",
};

describe("error constructors", () => {
  test.each(CONSTRUCTED)("%s has status %i", (id, status, error) => {
    expect(error.id).toBe(id);
    expect(error.status).toBe(status);
    expect(statusOfErrorId(id)).toBe(status);
  });

  test.each(CONSTRUCTED)("%s renders a valid envelope", (id, status, error) => {
    const envelope = renderErrorEnvelope(error, "req-1");
    const validate = schema(ENVELOPE_SCHEMAS[id] ?? "errorGeneric");

    expect(validate(envelope), describeErrors(validate)).toBe(true);
    expect(envelope.error.id).toBe(id);
    expect(envelope.error.code).toBe(status);
    expect(envelope.error.request).toBe("req-1");
    expect(envelope.error.message.length).toBeGreaterThan(0);
    expect(envelope.error.reason.length).toBeGreaterThan(0);
    expect(envelope.error).not.toHaveProperty("debug");
  });

  test("envelope never contains the cause", () => {
    const envelope = renderErrorEnvelope(internalServerError(new Error("db password hunter2")));

    expect(JSON.stringify(envelope)).not.toContain("hunter2");
    expect(envelope.error).not.toHaveProperty("request");
  });

  test("status texts follow Go's spelling", () => {
    expect(renderErrorEnvelope(requestBodyTooLarge(1)).error.status).toBe(
      "Request Entity Too Large",
    );
    expect(renderErrorEnvelope(browserLocationChangeRequired(LOGIN_URL)).error.status).toBe(
      "Unprocessable Entity",
    );
  });

  test("return_to reason names the URL", () => {
    expect(selfServiceFlowReturnToForbidden("https://not-allowed").reason).toBe(
      'Requested return_to URL "https://not-allowed" is not allowed.',
    );
  });

  test("session_already_available states refresh hint", () => {
    expect(sessionAlreadyAvailable().reason).toBe(
      "A valid session was detected and thus login is not possible. Did you forget to set `?refresh=true`?",
    );
  });

  test("aal2 and refresh carry redirect_browser_to", () => {
    for (const error of [sessionAal2Required(LOGIN_URL), sessionRefreshRequired(LOGIN_URL)]) {
      const envelope = renderErrorEnvelope(error);
      const validate = schema("errorAuthenticatorAssuranceLevelNotSatisfied");

      expect(envelope.redirect_browser_to).toBe(LOGIN_URL);
      expect(validate(envelope), describeErrors(validate)).toBe(true);
    }
  });

  test("replaced flow carries use_flow_id", () => {
    const envelope = renderErrorEnvelope(selfServiceFlowReplaced(FLOW_ID));
    const validate = schema("errorFlowReplaced");

    expect(envelope.use_flow_id).toBe(FLOW_ID);
    expect(validate(envelope), describeErrors(validate)).toBe(true);
  });

  test("verified address error lists continue_with", () => {
    const item = {
      action: "show_verification_ui",
      flow: { id: FLOW_ID, verifiable_address: "a@b.c" },
    };
    const error = sessionVerifiedAddressRequired([item]);

    expect(error.details).toEqual({ continue_with: [item] });
  });

  test("method_not_allowed sets Allow", () => {
    expect(methodNotAllowed(["GET", "POST"]).headers).toEqual({ Allow: "GET, POST" });
  });

  test("rate_limited rounds Retry-After up", () => {
    expect(rateLimited(0.2).headers).toEqual({ "Retry-After": "1" });
    expect(rateLimited(59.1).headers).toEqual({ "Retry-After": "60" });
  });

  test("body limit reason states bytes", () => {
    const error = requestBodyTooLarge(102400);

    expect(error.reason).toBe("Send a request body of at most 102400 bytes.");
    expect(error.details).toEqual({ limit_bytes: 102400 });
  });
});

describe("selfServiceFlowExpiredError", () => {
  test("native flow points at the API init URL", () => {
    const error = selfServiceFlowExpiredError({
      expiredAt: new Date("2026-01-01T09:00:00.000Z"),
      now: new Date("2026-01-01T10:30:00.000Z"),
      apiUrl: "https://auth.example.com/self-service/login/api",
    });
    const envelope = renderErrorEnvelope(error);

    expect(envelope.error.reason).toBe(
      "The self-service flow expired 90.00 minutes ago, initialize a new one.",
    );
    expect(envelope.error.details).toEqual({
      api: "https://auth.example.com/self-service/login/api",
    });
    expect(envelope).not.toHaveProperty("use_flow_id");
    expect(envelope.since).toBe(90 * 60 * 1e9);
  });

  test("omits details without URLs", () => {
    const error = selfServiceFlowExpiredError({ expiredAt: new Date(0), now: new Date(0) });

    expect(error.details).toBeUndefined();
    expect(error.extras.since).toBe(0);
  });
});
