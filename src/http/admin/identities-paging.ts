import type { Context } from "koa";
import { badRequest, type RegistrarError } from "../errors.ts";
import { singleQueryValue } from "./identities-shared.ts";

/**
 * Parses the `page_size` query parameter, or its deprecated `alias`, as an integer from 1 to
 * `maxSize`; absent, it is `defaultSize`.
 */
export function pageSizeParam(
  ctx: Context,
  options: { defaultSize: number; maxSize: number; alias?: string },
): number {
  const raw =
    singleQueryValue(ctx, "page_size") ??
    (options.alias ? singleQueryValue(ctx, options.alias) : undefined);
  if (raw === undefined) return options.defaultSize;

  const size = /^\d{1,7}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(size) || size < 1 || size > options.maxSize) {
    throw badRequest({
      message: `The page_size must be an integer from 1 to ${options.maxSize}.`,
      details: { parameter: "page_size" },
    });
  }
  return size;
}

/** Builds the 400 for a page token that was altered, forged or issued for another list. */
export function invalidPageToken(): RegistrarError {
  return badRequest({
    message: "The page_token is invalid.",
    reason: "Pass the page_token exactly as the Link header or the previous page returned it.",
    details: { parameter: "page_token" },
  });
}
