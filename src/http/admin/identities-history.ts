import type { Context } from "koa";
import type { Registrar } from "../../app/registrar.ts";
import { identityStreamId } from "../../domain/identity/index.ts";
import type { RecordedEvent } from "../../eventstore/port.ts";
import { isErased } from "../../personal-data/erased.ts";
import { IdentityHistory } from "../../queries/identity-history.ts";
import { badRequest, notFound } from "../errors.ts";
import { parseRfc3339 } from "../rfc3339.ts";
import { identityNotFound } from "./identities-errors.ts";
import { pageSizeParam } from "./identities-paging.ts";
import { identityIdParam, renderAdminIdentity, singleQueryValue } from "./identities-shared.ts";

// Hashes that the history never shows: a password hash can be attacked offline, and a session
// token hash finds the session in the read model.
const redactedKeys = new Set(["hashedPassword", "tokenHash"]);

// Keys of one-time secrets. No current event carries them, but events recorded before the
// courier kept codes and links outside the log still do, and a new event type might. Only
// strings and numbers under them are hidden, because `code` is also the name of a credential
// type, whose object of identifiers is no secret.
const secretKeys = new Set(["code", "link", "token", "secret"]);

/**
 * `GET /admin/identities/{id}/events`: the identity's stream in version order, with personal
 * fields decrypted or shown as "[erased]", and password hashes, token hashes and one-time codes,
 * links, tokens and secrets redacted. Pages with `from_version` and `page_size`, with a `Link`
 * header to the next page.
 */
export function listIdentityEvents(registrar: Registrar) {
  const history = new IdentityHistory(registrar.store, registrar.personalData.codec);

  return async function listIdentityEventsRoute(ctx: Context) {
    const id = identityIdParam(ctx);
    const fromVersion = fromVersionParam(ctx);
    const limit = pageSizeParam(ctx, { defaultSize: 1000, maxSize: 1000 });
    const events = await history.readEvents(id, { fromVersion, limit });
    if (events.length === 0 && fromVersion === 1) throw identityNotFound();

    if (events.length === limit) {
      const next = fromVersion + limit;
      ctx.set(
        "Link",
        `</admin/identities/${id}/events?from_version=${next}&page_size=${limit}>; rel="next"`,
      );
    }
    ctx.body = events.map(renderHistoryEvent);
  };
}

/**
 * `GET /admin/identities/{id}/state?at=<RFC 3339>`: the identity as it was at that time, folded
 * from the events recorded until then. 404 when it did not exist yet, or when it has been erased
 * or deleted since, because both destroy the key that its personal data needs.
 */
export function getIdentityStateAt(registrar: Registrar) {
  const history = new IdentityHistory(registrar.store, registrar.personalData.codec);

  return async function getIdentityStateAtRoute(ctx: Context) {
    const id = identityIdParam(ctx);
    const at = atParam(ctx);
    const removal = await history.removalOf(id);
    if (removal !== undefined) {
      throw notFound({
        message: `The identity was ${removal}; its past states can no longer be read.`,
        reason: "Read its event history instead, which keeps the non-personal fields.",
      });
    }

    const { state } = await registrar.identities.load(id, at);
    if (state.status !== "existing") throw identityNotFound();
    ctx.body = renderAdminIdentity(registrar, state.identity);
  };
}

/** `GET /admin/identities/{id}/verify`: recomputes the stream's hash chain. */
export function verifyIdentityStream(registrar: Registrar) {
  return async function verifyIdentityStreamRoute(ctx: Context) {
    const id = identityIdParam(ctx);
    const result = await registrar.store.verifyStream(identityStreamId(id));
    if (result.checked === 0) throw identityNotFound();

    ctx.body = {
      stream_id: result.streamId,
      valid: result.valid,
      checked: result.checked,
      ...(result.brokenAtVersion !== undefined && { broken_at_version: result.brokenAtVersion }),
    };
  };
}

function renderHistoryEvent(event: RecordedEvent) {
  const { metadata } = event;
  return {
    id: event.eventId,
    type: event.type,
    version: event.streamVersion,
    schema_version: event.schemaVersion,
    recorded_at: event.recordedAt.toISOString(),
    data: redact(event.data),
    metadata: {
      actor: metadata.actor,
      correlation_id: metadata.correlationId,
      causation_id: metadata.causationId,
      request_id: metadata.source?.requestId ?? null,
      ip_address: metadata.source?.ip ?? null,
      user_agent: metadata.source?.userAgent ?? null,
      occurred_at: metadata.occurredAt,
    },
  };
}

function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (typeof value !== "object" || value === null) return value;

  // No prototype, so a `__proto__` key in stored data stays a plain key.
  const copy: Record<string, unknown> = Object.create(null);
  for (const [key, member] of Object.entries(value)) {
    const secret =
      secretKeys.has(key) && (typeof member === "string" || typeof member === "number");
    const hidden = (redactedKeys.has(key) || secret) && !isErased(member);
    copy[key] = hidden ? "[redacted]" : redact(member);
  }
  return copy;
}

function fromVersionParam(ctx: Context): number {
  const raw = singleQueryValue(ctx, "from_version");
  if (raw === undefined) return 1;
  const version = /^\d{1,12}$/.test(raw) ? Number(raw) : 0;
  if (version < 1) throw badRequest({ message: "The from_version must be a positive integer." });
  return version;
}

function atParam(ctx: Context): Date {
  const raw = singleQueryValue(ctx, "at");
  const at = raw === undefined ? undefined : parseRfc3339(raw);
  if (!at) {
    throw badRequest({
      message: "The at parameter must be an RFC 3339 time, such as 2025-01-31T12:00:00Z.",
      details: { parameter: "at" },
    });
  }
  return at;
}
