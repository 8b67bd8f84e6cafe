import type Router from "@koa/router";
import type { Context } from "koa";
import { z } from "zod";
import type { Registrar } from "../../app/registrar.ts";
import { type AuditFilter, AuditQueries } from "../../queries/audit-queries.ts";
import { pageTokenSealerFromClaimKeys } from "../../queries/page-token.ts";
import { badRequest } from "../errors.ts";
import { parseRfc3339 } from "../rfc3339.ts";
import { requireScope } from "./api-key-auth.ts";
import { type ExportFormat, sendAuditExport } from "./audit-export.ts";
import { listSecurityLog } from "./audit-security.ts";
import { invalidPageToken, pageSizeParam } from "./identities-paging.ts";
import { isUuid, singleQueryValue } from "./identities-shared.ts";

const tokenPurpose = "audit_events";
const cursorSchema = z.strictObject({ ordinal: z.string().regex(/^\d{1,19}$/) });
const eventTypePattern = /^[A-Z][A-Za-z0-9]{1,99}$/;
const maxActorIdLength = 200;

/** Registers the audit trail query, its NDJSON and CSV exports, and the security log. */
export function registerAuditRoutes(router: Router, registrar: Registrar): void {
  const audit = requireScope("audit:read");
  router.get("/admin/audit/events", audit, listAuditEvents(registrar));
  router.get("/admin/audit/security-events", audit, listSecurityLog(registrar));
}

/**
 * `GET /admin/audit/events`: filters by identity, actor, event type and a recorded-at range
 * (`from` inclusive, `to` exclusive). The JSON response is one page in `$all` order with a
 * `Link` to the next. `format=ndjson` or `format=csv`, or the matching `Accept` header, streams every
 * matching entry instead.
 */
function listAuditEvents(registrar: Registrar) {
  const queries = new AuditQueries(registrar.pool);
  const tokens = pageTokenSealerFromClaimKeys(registrar.personalData.claims);
  const logger = registrar.logger.child({ component: "audit" });

  return async function listAuditEventsRoute(ctx: Context) {
    const filter = auditFilter(ctx);
    const format = exportFormat(ctx);
    const token = singleQueryValue(ctx, "page_token");
    const cursor = token === undefined ? undefined : tokens.open(tokenPurpose, token, cursorSchema);
    if (token !== undefined && cursor === undefined) throw invalidPageToken();

    if (format !== "json") {
      sendAuditExport(ctx, { queries, logger, filter, after: cursor?.ordinal, format });
      return;
    }

    const limit = pageSizeParam(ctx, { defaultSize: 250, maxSize: 1000 });
    const page = await queries.listEntries(filter, {
      limit,
      ...(cursor && { after: cursor.ordinal }),
    });
    if (page.next !== undefined) {
      const next = encodeURIComponent(tokens.seal(tokenPurpose, { ordinal: page.next }));
      const query = new URLSearchParams(ctx.querystring);
      query.delete("page_token");
      query.set("page_size", String(limit));
      ctx.set("Link", `</admin/audit/events?${query}&page_token=${next}>; rel="next"`);
    }
    ctx.body = page.entries;
  };
}

function auditFilter(ctx: Context): AuditFilter {
  const filter: AuditFilter = {};
  const identityId = singleQueryValue(ctx, "identity_id");
  if (identityId !== undefined) {
    if (!isUuid(identityId)) throw invalidParameter("identity_id", "must be a UUID");
    filter.identityId = identityId.toLowerCase();
  }
  const actorId = singleQueryValue(ctx, "actor_id");
  if (actorId !== undefined) {
    if (actorId === "" || actorId.length > maxActorIdLength) {
      throw invalidParameter("actor_id", `must be 1 to ${maxActorIdLength} characters long`);
    }
    filter.actorId = actorId;
  }
  const eventType = singleQueryValue(ctx, "event_type");
  if (eventType !== undefined) {
    if (!eventTypePattern.test(eventType)) {
      throw invalidParameter("event_type", "must be an event type name such as PasswordChanged");
    }
    filter.eventType = eventType;
  }
  const from = timeParam(ctx, "from");
  const to = timeParam(ctx, "to");
  if (from) filter.from = from;
  if (to) filter.to = to;
  return filter;
}

function timeParam(ctx: Context, name: string): Date | undefined {
  const raw = singleQueryValue(ctx, name);
  if (raw === undefined) return undefined;
  const time = parseRfc3339(raw);
  if (!time) {
    throw invalidParameter(name, "must be an RFC 3339 time such as 2025-01-31T12:00:00Z");
  }
  return time;
}

function exportFormat(ctx: Context): ExportFormat | "json" {
  const format = singleQueryValue(ctx, "format");
  if (format === undefined) {
    const accepted = ctx.accepts("application/json", "application/x-ndjson", "text/csv");
    if (accepted === "application/x-ndjson") return "ndjson";
    return accepted === "text/csv" ? "csv" : "json";
  }
  if (format === "json" || format === "ndjson" || format === "csv") return format;
  throw invalidParameter("format", "must be json, ndjson or csv");
}

function invalidParameter(name: string, problem: string) {
  return badRequest({
    message: `The query parameter ${name} ${problem}.`,
    details: { parameter: name },
  });
}
