import { type ErrorOptions, RegistrarError } from "../errors.ts";

// Constructors for the errors that carry Kratos's own ids: sessions, self-service flows and
// security checks. The generic HTTP errors are constructed in ../errors.ts.

export function sessionInactive(options?: ErrorOptions): RegistrarError {
  return new RegistrarError("session_inactive", options);
}

export function sessionAal1Required(options?: ErrorOptions): RegistrarError {
  return new RegistrarError("session_aal1_required", options);
}

/** `redirectBrowserTo` is the login URL that requests the second factor (`?aal=aal2`). */
export function sessionAal2Required(
  redirectBrowserTo: string,
  options?: ErrorOptions,
): RegistrarError {
  return new RegistrarError("session_aal2_required", {
    ...options,
    extras: { redirect_browser_to: redirectBrowserTo },
  });
}

export function sessionAalAlreadyFulfilled(options?: ErrorOptions): RegistrarError {
  return new RegistrarError("session_aal_already_fulfilled", options);
}

export function sessionAlreadyAvailable(options?: ErrorOptions): RegistrarError {
  return new RegistrarError("session_already_available", options);
}

/** `redirectBrowserTo` is the login URL with `?refresh=true` and the settings flow as return_to. */
export function sessionRefreshRequired(
  redirectBrowserTo: string,
  options?: ErrorOptions,
): RegistrarError {
  return new RegistrarError("session_refresh_required", {
    ...options,
    extras: { redirect_browser_to: redirectBrowserTo },
  });
}

/** `continueWith` lands in `details.continue_with`, where Kratos puts the verification flow. */
export function sessionVerifiedAddressRequired(
  continueWith: unknown[],
  options?: ErrorOptions,
): RegistrarError {
  return new RegistrarError("session_verified_address_required", {
    ...options,
    details: { ...options?.details, continue_with: continueWith },
  });
}

export function browserLocationChangeRequired(
  redirectBrowserTo: string,
  options?: ErrorOptions,
): RegistrarError {
  return new RegistrarError("browser_location_change_required", {
    ...options,
    extras: { redirect_browser_to: redirectBrowserTo },
  });
}

export function selfServiceFlowReplaced(useFlowId: string, options?: ErrorOptions): RegistrarError {
  return new RegistrarError("self_service_flow_replaced", {
    ...options,
    extras: { use_flow_id: useFlowId },
  });
}

export function selfServiceFlowDisabled(options?: ErrorOptions): RegistrarError {
  return new RegistrarError("self_service_flow_disabled", options);
}

export function selfServiceFlowReturnToForbidden(
  returnTo: string,
  options?: ErrorOptions,
): RegistrarError {
  return new RegistrarError("self_service_flow_return_to_forbidden", {
    reason: `Requested return_to URL "${returnTo}" is not allowed.`,
    ...options,
  });
}

export function securityCsrfViolation(options?: ErrorOptions): RegistrarError {
  return new RegistrarError("security_csrf_violation", options);
}

export function securityIdentityMismatch(options?: ErrorOptions): RegistrarError {
  return new RegistrarError("security_identity_mismatch", options);
}

export function identityDisabled(options?: ErrorOptions): RegistrarError {
  return new RegistrarError("identity_disabled", options);
}

export interface FlowExpiredErrorInput {
  expiredAt: Date;
  now: Date;
  /** The replacement flow, which carries the "flow expired" UI message and the old return_to. */
  useFlowId?: string;
  /** For browser flows: the UI URL of the replacement flow or the flow's init URL. */
  redirectTo?: string;
  /** For native flows: the init URL of a new API flow. */
  apiUrl?: string;
}

/**
 * Builds the 410 `self_service_flow_expired` error, which Kratos sends as
 * `selfServiceFlowExpiredError` with `use_flow_id`, `expired_at` and `since` next to `error`.
 */
export function selfServiceFlowExpiredError(input: FlowExpiredErrorInput): RegistrarError {
  const elapsedMs = Math.max(0, input.now.getTime() - input.expiredAt.getTime());
  const minutes = (elapsedMs / 60_000).toFixed(2);

  const details: Record<string, unknown> = {};
  if (input.redirectTo !== undefined) details.redirect_to = input.redirectTo;
  if (input.apiUrl !== undefined) details.api = input.apiUrl;

  return new RegistrarError("self_service_flow_expired", {
    reason: `The self-service flow expired ${minutes} minutes ago, initialize a new one.`,
    details: Object.keys(details).length > 0 ? details : undefined,
    extras: {
      ...(input.useFlowId !== undefined && { use_flow_id: input.useFlowId }),
      expired_at: input.expiredAt.toISOString(),
      // Go's time.Duration marshals as an integer count of nanoseconds.
      since: elapsedMs * 1_000_000,
    },
  });
}
