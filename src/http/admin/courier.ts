import type Router from "@koa/router";
import { z } from "zod";
import type { Registrar } from "../../app/registrar.ts";
import { InvalidCourierQueryError } from "../../projections/courier/courier-message-queries.ts";
import { pageTokenSealerFromClaimKeys } from "../../queries/page-token.ts";
import { badRequest, notFound } from "../errors.ts";
import { isUuid } from "../uuid.ts";
import { requireScope } from "./api-key-auth.ts";
import { invalidPageToken } from "./identities-paging.ts";

const statuses = new Set(["queued", "processing", "sent", "abandoned"]);

/** Kratos's courier message routes; bodies are redacted outside development. */
export function registerCourierRoutes(router: Router, registrar: Registrar): void {
  // The query's own page token only encodes a position, so the route seals it with a MAC.
  const tokens = pageTokenSealerFromClaimKeys(registrar.personalData.claims);
  const tokenPurpose = "courier_messages";
  const cursorSchema = z.strictObject({ position: z.string().max(100) });

  router.get("/admin/courier/messages", requireScope("courier:read"), async (ctx) => {
    const { page_size: pageSize, page_token: pageToken, status, recipient } = ctx.query;
    if (status !== undefined && (typeof status !== "string" || !statuses.has(status))) {
      throw badRequest({ message: "status must be one of queued, processing, sent, abandoned." });
    }
    if (pageSize !== undefined && (typeof pageSize !== "string" || !/^\d{1,4}$/.test(pageSize))) {
      throw badRequest({ message: "page_size must be an integer from 1 to 1000." });
    }
    if (recipient !== undefined && (typeof recipient !== "string" || recipient.length > 320)) {
      throw badRequest({ message: "recipient must be one address of at most 320 characters." });
    }
    if (pageToken !== undefined && typeof pageToken !== "string") {
      throw badRequest({ message: "page_token must be given once." });
    }
    const cursor =
      pageToken === undefined ? undefined : tokens.open(tokenPurpose, pageToken, cursorSchema);
    if (pageToken !== undefined && cursor === undefined) throw invalidPageToken();

    try {
      const page = await registrar.courier.queries.listCourierMessages({
        ...(pageSize !== undefined && { pageSize: Number(pageSize) }),
        ...(cursor && { pageToken: cursor.position }),
        ...(status !== undefined && { status: status as "queued" }),
        ...(recipient !== undefined && { recipient: recipient.trim().toLowerCase() }),
      });
      if (page.nextPageToken) {
        const next = new URLSearchParams(ctx.querystring);
        next.set("page_token", tokens.seal(tokenPurpose, { position: page.nextPageToken }));
        ctx.set("Link", `</admin/courier/messages?${next}>; rel="next"`);
      }
      ctx.body = page.messages;
    } catch (error) {
      if (error instanceof InvalidCourierQueryError) {
        throw badRequest({ message: `${error.parameter} is invalid.` });
      }
      throw error;
    }
  });

  router.get("/admin/courier/messages/:id", requireScope("courier:read"), async (ctx) => {
    const id = ctx.params.id ?? "";
    if (!isUuid(id)) throw badRequest({ message: "The message id must be a UUID." });
    const message = await registrar.courier.queries.getCourierMessage(id);
    if (!message) throw notFound({ message: "The courier message does not exist." });
    ctx.body = message;
  });
}
