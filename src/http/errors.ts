/**
 * Stable error ids. Where Kratos has an id, the id is Kratos's, so `@ory/client` and
 * `@ory/elements-react` can switch on it. Kratos renders its generic errors without an id, and
 * Registrar gives those ids named after the HTTP status (`bad_request`, `not_found`, ...).
 * The constructors for Kratos's session and flow ids are in kratos/flow-errors.ts.
 */
export type ErrorId =
  | "session_inactive"
  | "session_aal1_required"
  | "session_aal2_required"
  | "session_aal_already_fulfilled"
  | "session_already_available"
  | "session_refresh_required"
  | "session_verified_address_required"
  | "browser_location_change_required"
  | "self_service_flow_expired"
  | "self_service_flow_replaced"
  | "self_service_flow_disabled"
  | "self_service_flow_return_to_forbidden"
  | "security_csrf_violation"
  | "security_identity_mismatch"
  | "identity_disabled"
  | "bad_request"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "method_not_allowed"
  | "conflict"
  | "idempotency_key_reused"
  | "request_body_too_large"
  | "unsupported_media_type"
  | "rate_limited"
  | "internal_server_error"
  | "service_unavailable";

interface ErrorDefinition {
  status: number;
  message: string;
  reason: string;
}

const ERROR_CATALOGUE: Record<ErrorId, ErrorDefinition> = {
  session_inactive: {
    status: 401,
    message: "The request does not have a valid authentication session.",
    reason: "No active session was found in this request. Sign in and retry.",
  },
  session_aal1_required: {
    status: 401,
    message: "A session is required to request a higher authenticator assurance level.",
    reason: "Sign in with a first factor before requesting the second factor.",
  },
  session_aal2_required: {
    status: 403,
    message: "The session's authenticator assurance level is too low.",
    reason: "Complete the second authentication factor and retry.",
  },
  session_aal_already_fulfilled: {
    status: 401,
    message: "The session already has the requested authenticator assurance level.",
    reason: "No further authentication is needed for this session.",
  },
  session_already_available: {
    status: 400,
    message: "A valid session already exists.",
    reason:
      "A valid session was detected and thus login is not possible. Did you forget to set `?refresh=true`?",
  },
  session_refresh_required: {
    status: 403,
    message: "The session is too old for this privileged change.",
    reason: "Sign in again to confirm the change, then retry.",
  },
  session_verified_address_required: {
    status: 403,
    message: "The identity has no verified address.",
    reason: "Verify an address of this identity, then sign in again.",
  },
  browser_location_change_required: {
    status: 422,
    message: "The browser must navigate to another location to continue the flow.",
    reason: "Send the browser to the URL in `redirect_browser_to`.",
  },
  self_service_flow_expired: {
    status: 410,
    message: "The self-service flow has expired.",
    reason: "The self-service flow expired, initialize a new one.",
  },
  self_service_flow_replaced: {
    status: 410,
    message: "The self-service flow was replaced by another flow.",
    reason: "Continue with the flow in `use_flow_id`.",
  },
  self_service_flow_disabled: {
    status: 400,
    message: "This self-service flow is disabled.",
    reason: "The operator has disabled this flow; use another way to continue.",
  },
  self_service_flow_return_to_forbidden: {
    status: 400,
    message: "The requested return_to URL is not allowed.",
    reason: "Use a return_to URL that the operator has allowed.",
  },
  security_csrf_violation: {
    status: 403,
    message: "The request was rejected to protect you from Cross-Site-Request-Forgery.",
    reason: "Please retry the flow and optionally clear your cookies.",
  },
  security_identity_mismatch: {
    status: 403,
    message: "The flow belongs to another identity.",
    reason: "Start a new flow with the current session.",
  },
  identity_disabled: {
    status: 400,
    message: "The identity is disabled.",
    reason: "Contact the operator to enable this identity.",
  },
  bad_request: {
    status: 400,
    message: "The request is invalid.",
    reason: "Correct the request and retry.",
  },
  unauthorized: {
    status: 401,
    message: "The request is not authenticated.",
    reason: "Send valid credentials and retry.",
  },
  forbidden: {
    status: 403,
    message: "The request is not allowed.",
    reason: "The credentials sent do not grant access to this resource.",
  },
  not_found: {
    status: 404,
    message: "The requested resource could not be found.",
    reason: "Check the path and the ids in it.",
  },
  method_not_allowed: {
    status: 405,
    message: "The HTTP method is not allowed for this resource.",
    reason: "Use one of the methods listed in the Allow header.",
  },
  conflict: {
    status: 409,
    message: "The request conflicts with the current state of the resource.",
    reason: "Reload the resource and retry.",
  },
  idempotency_key_reused: {
    status: 422,
    message: "The Idempotency-Key was already used for a different request.",
    reason: "Use a new Idempotency-Key for a new request, or resend the original request.",
  },
  request_body_too_large: {
    status: 413,
    message: "The request body is too large.",
    reason: "Send a smaller request body.",
  },
  unsupported_media_type: {
    status: 415,
    message: "The request body's content type is not supported.",
    reason: "Send application/json or application/x-www-form-urlencoded in UTF-8.",
  },
  rate_limited: {
    status: 429,
    message: "Too many requests.",
    reason: "Wait for the time given in the Retry-After header and retry.",
  },
  internal_server_error: {
    status: 500,
    message: "The server failed to complete the request.",
    reason: "Retry later. If the error persists, contact the operator and quote the request id.",
  },
  service_unavailable: {
    status: 503,
    message: "The service is temporarily unavailable.",
    reason: "Retry later.",
  },
};

// Go's http.StatusText spelling, which is what Kratos puts into `error.status`.
const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  410: "Gone",
  413: "Request Entity Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Entity",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** Fields that Kratos sends next to `error` at the top level of some error bodies. */
export interface ErrorEnvelopeExtras {
  redirect_browser_to?: string;
  use_flow_id?: string;
  expired_at?: string;
  /** Nanoseconds since the flow expired, as Go's `time.Duration` marshals. */
  since?: number;
}

export interface RegistrarErrorOptions {
  /** Replaces the catalogue's message; it must be safe to show to the client. */
  message?: string;
  /** Replaces the catalogue's reason, which states what the client should do next. */
  reason?: string;
  details?: Record<string, unknown>;
  /** The underlying failure. It is logged and never sent to the client. */
  cause?: unknown;
  headers?: Record<string, string>;
  extras?: ErrorEnvelopeExtras;
}

/** Error that the error middleware renders in Kratos's `{"error": {...}}` envelope. */
export class RegistrarError extends Error {
  override readonly name = "RegistrarError";
  readonly id: ErrorId;
  readonly status: number;
  readonly reason: string;
  readonly details: Record<string, unknown> | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly extras: ErrorEnvelopeExtras;

  constructor(id: ErrorId, options: RegistrarErrorOptions = {}) {
    const definition = ERROR_CATALOGUE[id];
    super(options.message ?? definition.message, { cause: options.cause });
    this.id = id;
    this.status = definition.status;
    this.reason = options.reason ?? definition.reason;
    this.details = options.details;
    this.headers = options.headers ?? {};
    this.extras = options.extras ?? {};
  }
}

/** The `genericError` object of Kratos's OpenAPI document, as Registrar fills it. */
export interface GenericErrorJson {
  id: ErrorId;
  code: number;
  status: string;
  reason: string;
  message: string;
  details?: Record<string, unknown>;
  request?: string;
}

export type ErrorEnvelopeJson = { error: GenericErrorJson } & ErrorEnvelopeExtras;

/** Returns the HTTP status of an error id. */
export function statusOfErrorId(id: ErrorId): number {
  return ERROR_CATALOGUE[id].status;
}

/** Renders an error as Kratos's envelope, without the cause, the stack or `debug`. */
export function renderErrorEnvelope(error: RegistrarError, requestId?: string): ErrorEnvelopeJson {
  const body: GenericErrorJson = {
    id: error.id,
    code: error.status,
    status: STATUS_TEXT[error.status] ?? "Error",
    reason: error.reason,
    message: error.message,
  };
  if (error.details !== undefined) body.details = error.details;
  if (requestId !== undefined) body.request = requestId;

  return { error: body, ...error.extras };
}

/** Options of the error constructors, which set `extras` themselves where Kratos has them. */
export type ErrorOptions = Omit<RegistrarErrorOptions, "extras">;

export function badRequest(options?: ErrorOptions): RegistrarError {
  return new RegistrarError("bad_request", options);
}

export function unauthorized(options?: ErrorOptions): RegistrarError {
  return new RegistrarError("unauthorized", options);
}

export function forbidden(options?: ErrorOptions): RegistrarError {
  return new RegistrarError("forbidden", options);
}

export function notFound(options?: ErrorOptions): RegistrarError {
  return new RegistrarError("not_found", options);
}

/** `allowedMethods` fills the Allow header that RFC 9110 requires on a 405. */
export function methodNotAllowed(
  allowedMethods: readonly string[],
  options?: ErrorOptions,
): RegistrarError {
  return new RegistrarError("method_not_allowed", {
    ...options,
    headers: { ...options?.headers, Allow: allowedMethods.join(", ") },
  });
}

export function conflict(options?: ErrorOptions): RegistrarError {
  return new RegistrarError("conflict", options);
}

export function requestBodyTooLarge(limitBytes: number, options?: ErrorOptions): RegistrarError {
  return new RegistrarError("request_body_too_large", {
    reason: `Send a request body of at most ${limitBytes} bytes.`,
    ...options,
    details: { ...options?.details, limit_bytes: limitBytes },
  });
}

export function unsupportedMediaType(options?: ErrorOptions): RegistrarError {
  return new RegistrarError("unsupported_media_type", options);
}

/** `retryAfterSeconds` fills the Retry-After header and `details.retry_after_seconds`. */
export function rateLimited(retryAfterSeconds: number, options?: ErrorOptions): RegistrarError {
  const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
  return new RegistrarError("rate_limited", {
    ...options,
    headers: { ...options?.headers, "Retry-After": String(seconds) },
    details: { ...options?.details, retry_after_seconds: seconds },
  });
}

/** Builds a 500 whose body contains nothing of `cause`. The error middleware logs the cause. */
export function internalServerError(cause?: unknown): RegistrarError {
  return new RegistrarError("internal_server_error", { cause });
}

export function serviceUnavailable(options?: ErrorOptions): RegistrarError {
  return new RegistrarError("service_unavailable", options);
}
