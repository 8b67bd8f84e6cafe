import type { Context } from "koa";
import { z } from "zod";
import type { Registrar } from "../../app/registrar.ts";
import type { RevokeAllSessions, RevokeSessions } from "../../domain/identity/index.ts";
import type { Position } from "../../eventstore/port.ts";
import { IdentityHistory } from "../../queries/identity-history.ts";
import {
  countEndedSessions,
  findSessionOwnerships,
  listActiveSessions,
  type SessionOwnership,
} from "../../queries/session-revocation-queries.ts";
import { parseInput } from "../middleware/validation.ts";
import { commandContext } from "../request-context.ts";
import { isUuid } from "../uuid.ts";
import { adminActor } from "./api-key-auth.ts";
import { commandFailureToError } from "./identities-errors.ts";

/** Kratos's limit on the explicit ids of one call. */
const maxListedIds = 500;
const wildcard = "*";
// Identity commands that run at once. Each uses a database connection while it appends.
const commandConcurrency = 8;

const manageSessionsBodySchema = z
  .strictObject({
    action: z.enum(["disable", "delete"]),
    identities: z.array(z.string().max(100)).min(1).max(maxListedIds).optional(),
    sessions: z.array(z.string().max(100)).min(1).max(maxListedIds).optional(),
  })
  .superRefine((body, issues) => {
    const report = (path: (string | number)[], message: string) =>
      issues.addIssue({ code: "custom", path, message });

    if (body.identities && body.sessions) {
      report([], "must contain identities or sessions, not both");
    } else if (!body.identities && !body.sessions) {
      report([], "must contain identities or sessions");
    }

    const identities = body.identities ?? [];
    const isWildcardOnly = identities.length === 1 && identities[0] === wildcard;
    for (const [index, id] of identities.entries()) {
      if (id === wildcard && !isWildcardOnly) {
        report(["identities", index], 'must be the only entry when it is the wildcard "*"');
      } else if (id !== wildcard && !isUuid(id)) {
        report(["identities", index], 'must be a UUID or the wildcard "*"');
      }
    }
    for (const [index, id] of (body.sessions ?? []).entries()) {
      if (id === wildcard) {
        report(
          ["sessions", index],
          'must be a UUID, because the wildcard "*" is accepted in identities only',
        );
      } else if (!isUuid(id)) {
        report(["sessions", index], "must be a UUID");
      }
    }
  });

type ManageSessionsBody = z.output<typeof manageSessionsBodySchema>;
type RevocationCommand = RevokeAllSessions | RevokeSessions;

/** The sessions a call matched: the commands that revoke its active ones, and what else it counts. */
interface Selection {
  commands: RevocationCommand[];
  /** Matched sessions that had already ended, which `delete` counts and `disable` does not. */
  endedCount: number;
  more: boolean;
}

/**
 * `POST /admin/sessions`: Kratos's bulk `disable` or `delete` of the sessions of listed
 * identities, of listed sessions, or of every identity (`identities: ["*"]`, at most
 * `manageSessionsBatchSize` sessions per call). Unknown ids are skipped. Responds
 * `{processed, more}` once whoami rejects the revoked sessions, or after the bounded wait.
 */
export function manageSessions(registrar: Registrar) {
  return async function manageSessionsRoute(ctx: Context) {
    const body = parseInput(manageSessionsBodySchema, ctx.state.body);
    const now = new Date();
    const selection = await selectSessions(registrar, body, now);
    const revoked = await runRevocations(ctx, registrar, selection.commands);

    // Events are never deleted, so `delete` revokes like `disable`, as DELETE
    // /admin/identities/{id}/sessions does, and also counts matched sessions that had ended.
    const endedCount = body.action === "delete" ? selection.endedCount : 0;
    ctx.body = { processed: revoked + endedCount, more: selection.more };
  };
}

function selectSessions(
  registrar: Registrar,
  body: ManageSessionsBody,
  now: Date,
): Promise<Selection> {
  if (body.sessions) return selectListedSessions(registrar, unique(body.sessions), now);

  const identityIds = unique(body.identities ?? []);
  if (identityIds[0] === wildcard) return selectActiveBatch(registrar, now);
  return selectIdentitySessions(registrar, identityIds, now);
}

async function selectListedSessions(
  registrar: Registrar,
  sessionIds: string[],
  now: Date,
): Promise<Selection> {
  const found = await findSessionOwnerships(registrar.pool, sessionIds, now);
  const active = found.filter((session) => session.active);
  const endedCount = found.length - active.length;
  return { commands: revokeSessionsCommands(active, now), endedCount, more: false };
}

// Only active sessions match the wildcard, so that repeated calls drain them and end with
// `more: false`.
async function selectActiveBatch(registrar: Registrar, now: Date): Promise<Selection> {
  const batchSize = registrar.settings.manageSessionsBatchSize;
  const active = await listActiveSessions(registrar.pool, now, batchSize + 1);
  const commands = revokeSessionsCommands(active.slice(0, batchSize), now);
  return { commands, endedCount: 0, more: active.length > batchSize };
}

async function selectIdentitySessions(
  registrar: Registrar,
  identityIds: string[],
  now: Date,
): Promise<Selection> {
  const commands = identityIds.map(
    (identityId): RevokeAllSessions => ({
      type: "RevokeAllSessions",
      identityId,
      reason: "revoked_by_admin",
      now: now.toISOString(),
    }),
  );
  const endedCount = await countEndedSessions(registrar.pool, identityIds, now);
  return { commands, endedCount, more: false };
}

/** Builds one `RevokeSessions` per identity, for that identity's sessions. */
function revokeSessionsCommands(
  sessions: readonly SessionOwnership[],
  now: Date,
): RevokeSessions[] {
  const byIdentity = new Map<string, string[]>();
  for (const session of sessions) {
    const sessionIds = byIdentity.get(session.identityId) ?? [];
    sessionIds.push(session.id);
    byIdentity.set(session.identityId, sessionIds);
  }
  return [...byIdentity].map(([identityId, sessionIds]) => ({
    type: "RevokeSessions",
    identityId,
    sessionIds,
    reason: "revoked_by_admin",
    now: now.toISOString(),
  }));
}

/**
 * Runs the commands, up to `commandConcurrency` at once, as the API key's admin actor, and
 * returns how many sessions they revoked. Commands on identities that do not exist, or were
 * erased or deleted, are skipped. Waits (bounded) until the sessions read model shows the
 * revocations, and clears this process's whoami cache.
 */
async function runRevocations(
  ctx: Context,
  registrar: Registrar,
  commands: readonly RevocationCommand[],
): Promise<number> {
  const context = commandContext(ctx, adminActor(ctx));
  const history = new IdentityHistory(registrar.store, registrar.personalData.codec);
  let revoked = 0;
  let last: Position | undefined;

  await forEachConcurrently(commands, commandConcurrency, async (command) => {
    // Folding a removed identity's stream fails, so removed identities are skipped first.
    if ((await history.removalOf(command.identityId)) !== undefined) return;
    const outcome = await registrar.identities.execute(command, context);
    if (!outcome.ok && outcome.error.code === "identity_not_found") return;
    if (!outcome.ok) throw commandFailureToError(outcome);

    revoked += outcome.events.filter((event) => event.type === "SessionRevoked").length;
    const position = outcome.position;
    if (position && (!last || registrar.store.comparePositions(position, last) > 0)) {
      last = position;
    }
  });

  if (last) {
    await registrar.sessions.waitForSessions(last);
    registrar.sessions.forgetAll();
  }
  return revoked;
}

/**
 * Calls `task` on every item, at most `limit` at a time. After a task throws, no further task
 * starts, and the first error is raised once the running tasks have finished.
 */
async function forEachConcurrently<Item>(
  items: readonly Item[],
  limit: number,
  task: (item: Item) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const work = async () => {
    while (!failure && next < items.length) {
      const item = items[next++] as Item;
      try {
        await task(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, work));
  if (failure) throw failure.error;
}

function unique(ids: readonly string[]): string[] {
  return [...new Set(ids.map((id) => id.toLowerCase()))];
}
