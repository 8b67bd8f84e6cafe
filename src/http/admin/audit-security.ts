import type { Context } from "koa";
import { z } from "zod";
import type { Registrar } from "../../app/registrar.ts";
import { pageTokenSealerFromClaimKeys } from "../../queries/page-token.ts";
import {
  listSecurityEvents,
  type SecurityEventRecord,
  securityEventQuerySchema,
  securityEventTypes,
} from "../../security/security-log.ts";
import { badRequest } from "../errors.ts";
import { zodErrorToRegistrarError } from "../middleware/validation.ts";
import { parseRfc3339 } from "../rfc3339.ts";
import { invalidPageToken, pageSizeParam } from "./identities-paging.ts";
import { singleQueryValue } from "./identities-shared.ts";

const tokenPurpose = "security_events";
const cursorSchema = z.strictObject({ after: z.string().regex(/^\d{1,18}$/) });

/**
 * `GET /admin/audit/security-events`: failed and throttled logins from the security log, oldest
 * first, filtered by `identity_id`, `type` and an occurred-at range (`from` inclusive, `to`
 * exclusive), with a `Link` to the next page.
 */
export function listSecurityLog(registrar: Registrar) {
  const tokens = pageTokenSealerFromClaimKeys(registrar.personalData.claims);

  return async function listSecurityLogRoute(ctx: Context) {
    const token = singleQueryValue(ctx, "page_token");
    const cursor = token === undefined ? undefined : tokens.open(tokenPurpose, token, cursorSchema);
    if (token !== undefined && cursor === undefined) throw invalidPageToken();

    const limit = pageSizeParam(ctx, { defaultSize: 100, maxSize: 1000 });
    const parsed = securityEventQuerySchema.safeParse({
      identityId: singleQueryValue(ctx, "identity_id"),
      type: eventTypeParam(ctx),
      from: timeParam(ctx, "from"),
      to: timeParam(ctx, "to"),
      limit,
      after: cursor?.after,
    });
    if (!parsed.success) {
      // The schema's fields are camel case; the error names the query parameters instead.
      const issues = parsed.error.issues.map((issue) => ({
        ...issue,
        path: issue.path.map((segment) => queryParameterNames[String(segment)] ?? segment),
      }));
      throw zodErrorToRegistrarError(new z.ZodError(issues));
    }

    const page = await listSecurityEvents(registrar.pool, parsed.data);
    if (page.nextAfter !== undefined) {
      const next = encodeURIComponent(tokens.seal(tokenPurpose, { after: page.nextAfter }));
      const query = new URLSearchParams(ctx.querystring);
      query.delete("page_token");
      query.set("page_size", String(limit));
      ctx.set("Link", `</admin/audit/security-events?${query}&page_token=${next}>; rel="next"`);
    }
    ctx.body = page.events.map(renderSecurityEvent);
  };
}

function eventTypeParam(ctx: Context): string | undefined {
  const type = singleQueryValue(ctx, "type");
  if (type !== undefined && !securityEventTypes.includes(type as never)) {
    throw badRequest({
      message: `The query parameter type must be one of ${securityEventTypes.join(", ")}.`,
      details: { parameter: "type" },
    });
  }
  return type;
}

const queryParameterNames: Record<string, string> = {
  identityId: "identity_id",
  limit: "page_size",
  after: "page_token",
};

function timeParam(ctx: Context, name: string): Date | undefined {
  const raw = singleQueryValue(ctx, name);
  if (raw === undefined) return undefined;
  const time = parseRfc3339(raw);
  if (!time) {
    throw badRequest({
      message: `The query parameter ${name} must be an RFC 3339 time such as 2025-01-31T12:00:00Z.`,
      details: { parameter: name },
    });
  }
  return time;
}

function renderSecurityEvent(event: SecurityEventRecord) {
  const { metadata } = event;
  return {
    id: event.id,
    type: event.type,
    identity_id: event.identityId,
    identifier_key: event.identifierKey,
    data: event.data,
    occurred_at: event.occurredAt.toISOString(),
    metadata: {
      actor: metadata.actor,
      correlation_id: metadata.correlationId,
      causation_id: metadata.causationId,
      request_id: metadata.source?.requestId ?? null,
      ip_address: metadata.source?.ip ?? null,
      user_agent: metadata.source?.userAgent ?? null,
    },
  };
}
