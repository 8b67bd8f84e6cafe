import type { Context, Middleware } from "koa";
import { badRequest } from "../../errors.ts";
import {
  selfServiceFlowDisabled,
  selfServiceFlowReturnToForbidden,
} from "../../kratos/flow-errors.ts";

// Cookies that Cloudflare sets on every request through it; Kratos lets them through as well.
const cloudflareCookie = /^(__cf|cf_)/i;

/**
 * Rejects a request to a native (API) flow that a browser sent, as Kratos does. An `Origin`
 * header or a cookie other than Cloudflare's marks a browser. Native flows have no CSRF
 * protection, so a page on another site could otherwise submit a settings change that rides
 * on the victim's session cookie.
 */
export function rejectBrowserRequest(ctx: Context): void {
  if (ctx.get("Origin") !== "") {
    throw badRequest({
      message: "The request has an Origin header, so a browser sent it to a native flow.",
      reason: "Browsers must use the browser flow (`/browser`), which has CSRF protection.",
    });
  }

  const cookieNames = ctx
    .get("Cookie")
    .split(";")
    .map((pair) => pair.split("=")[0]?.trim() ?? "")
    .filter((name) => name !== "" && !cloudflareCookie.test(name));
  if (cookieNames.length > 0) {
    throw badRequest({
      message: "The request has cookies, so a browser sent it to a native flow.",
      reason: "Browsers must use the browser flow (`/browser`); native apps send no cookies.",
    });
  }
}

/** Returns a query parameter given at most once, or raises 400 when it is repeated. */
export function singleQueryParam(ctx: Context, name: string): string | undefined {
  const value = ctx.query[name];
  if (Array.isArray(value)) {
    throw badRequest({ message: `The query parameter ${name} must be given at most once.` });
  }
  return value;
}

const trueValues = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const falseValues = new Set(["", "0", "f", "F", "FALSE", "false", "False"]);

/** Parses a boolean query parameter with the spellings Go's `strconv.ParseBool` accepts. */
export function booleanQueryParam(ctx: Context, name: string): boolean {
  const value = singleQueryParam(ctx, name);
  if (value === undefined || falseValues.has(value)) return false;
  if (trueValues.has(value)) return true;
  throw badRequest({ message: `The query parameter ${name} must be true or false.` });
}

/**
 * Accepts a `return_to` URL on the public URL's origin.
 * TODO: Kratos checks `selfservice.allowed_return_urls`; Registrar has no such list yet, so
 * any other origin is rejected.
 */
export function checkReturnTo(publicUrl: string, value: string | undefined): string | null {
  if (value === undefined || value === "") return null;

  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  const allowedOrigin = new URL(publicUrl).origin;
  if (url?.origin !== allowedOrigin) throw selfServiceFlowReturnToForbidden(value.slice(0, 200));
  return url.toString();
}

/**
 * Creates middleware that rejects every request with 400 `self_service_flow_disabled` unless the
 * flow is enabled in the configuration.
 */
export function requireFlowEnabled(
  enabled: boolean,
  flow: "verification" | "recovery",
): Middleware {
  return async function rejectDisabledFlow(_ctx, next) {
    if (!enabled) {
      throw selfServiceFlowDisabled({ message: `The ${flow} flow is disabled.` });
    }
    await next();
  };
}
