import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { Settings } from "../app/settings.ts";
import type { AuthenticationMethod, Identity } from "../domain/identity/index.ts";
import type { ProjectionRunner } from "../projections/runner.ts";
import {
  type ActiveSession,
  type IdentityQueries,
  issuedSessionView,
} from "../queries/identity-queries.ts";
import type {
  CommandContext,
  CommandOutcome,
  IdentityCommandHandler,
} from "./identity-command-handler.ts";

/** Prefix that marks Registrar session tokens, so secret scanners can recognise leaked ones. */
const tokenPrefix = "rgst_";

// Whoami serves a session from this cache for at most this long, so a revocation reaches every
// instance within the projection's lag plus this TTL.
const cacheTtlMs = 500;
const cacheMaxEntries = 10_000;

export interface IssuedSession {
  sessionId: string;
  /** The only copy of the token; the store keeps its SHA-256. */
  token: string;
  outcome: CommandOutcome;
  /** The new session with the identity the caller passed, as whoami will find it. */
  active?: ActiveSession;
}

/** SHA-256 of a session token as lower-case hex, the form the store keeps. */
export function hashSessionToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** Issues session tokens and resolves them for whoami. */
export class SessionService {
  readonly #identities: IdentityCommandHandler;
  readonly #queries: IdentityQueries;
  readonly #projections: ProjectionRunner;
  readonly #settings: Settings;
  readonly #cache = new Map<string, { session: ActiveSession | undefined; until: number }>();

  constructor(deps: {
    identities: IdentityCommandHandler;
    queries: IdentityQueries;
    projections: ProjectionRunner;
    settings: Settings;
  }) {
    this.#identities = deps.identities;
    this.#queries = deps.queries;
    this.#projections = deps.projections;
    this.#settings = deps.settings;
  }

  /**
   * Issues a session with a fresh 256-bit token and waits (bounded) until whoami can see it, so
   * the client can use the token at once. When the caller passes its current read of the
   * identity as `options.identity`, the result includes the new session. Whoami still reads the
   * read model, so that it never shows that earlier read of the identity.
   */
  async issue(
    identityId: string,
    methods: AuthenticationMethod[],
    context: CommandContext,
    options: {
      supersedesSessionId?: string;
      identity?: Identity;
      verifiedPasswordHash?: string;
    } = {},
  ): Promise<IssuedSession> {
    const token = tokenPrefix + randomBytes(32).toString("base64url");
    const sessionId = randomUUID();
    const now = new Date();
    const outcome = await this.#identities.execute(
      {
        type: "IssueSession",
        identityId,
        sessionId,
        tokenHash: hashSessionToken(token),
        authenticationMethods: methods,
        expiresAt: new Date(now.getTime() + this.#settings.sessionLifespanMs).toISOString(),
        device: {
          id: randomUUID(),
          ...(context.source?.ip ? { ipAddress: context.source.ip } : {}),
          ...(context.source?.userAgent ? { userAgent: context.source.userAgent } : {}),
        },
        ...(options.supersedesSessionId
          ? { supersedesSessionId: options.supersedesSessionId }
          : {}),
        ...(options.verifiedPasswordHash !== undefined && {
          verifiedPasswordHash: options.verifiedPasswordHash,
        }),
        now: now.toISOString(),
      },
      context,
    );
    if (!outcome.ok || !outcome.position) return { sessionId, token, outcome };

    // When the wait times out, whoami cannot find the session yet. The caller then reads it
    // back itself and reports it as missing.
    const visible = await this.waitForSessions(outcome.position);
    const issued = outcome.events.find((event) => event.type === "SessionIssued");
    if (!visible || !options.identity || issued?.type !== "SessionIssued") {
      return { sessionId, token, outcome };
    }
    const active = {
      session: issuedSessionView(issued.data, new Date()),
      identity: options.identity,
    };
    return { sessionId, token, outcome, active };
  }

  /** Waits until the sessions read model has applied `position`, for at most two seconds. */
  async waitForSessions(position: string): Promise<boolean> {
    return this.#projections.waitFor("sessions", position, 2_000);
  }

  /** Waits until the identities read model has applied `position`, for at most two seconds. */
  async waitForIdentities(position: string): Promise<boolean> {
    return this.#projections.waitFor("identities", position, 2_000);
  }

  /** Finds the active session of a token, serving repeated lookups from a short cache. */
  async resolve(token: string): Promise<ActiveSession | undefined> {
    if (!token.startsWith(tokenPrefix) || token.length > 100) return undefined;

    const hash = hashSessionToken(token);
    const now = Date.now();
    const cached = this.#cache.get(hash);
    if (cached && cached.until > now) {
      const expired = cached.session && cached.session.session.expiresAt.getTime() <= now;
      return expired ? undefined : cached.session;
    }

    const session = await this.#queries.findActiveSession(hash, new Date(now));
    if (this.#cache.size >= cacheMaxEntries) this.#cache.clear();
    this.#cache.set(hash, { session, until: now + cacheTtlMs });
    return session;
  }

  /** Drops a token from this process's cache, so its own revocation shows at once. */
  forget(token: string): void {
    this.#cache.delete(hashSessionToken(token));
  }

  /** Drops every cached session of this process. */
  forgetAll(): void {
    this.#cache.clear();
  }
}
