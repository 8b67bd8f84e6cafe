import type pg from "pg";
import type { Identity, SessionIssued } from "../domain/identity/index.ts";
import type { CredentialView, IdentityView } from "../http/kratos/identity-json.ts";
import type { SessionView } from "../http/kratos/session-json.ts";

interface SessionRow {
  id: string;
  identity_id: string;
  aal: SessionView["authenticatorAssuranceLevel"];
  authentication_methods: Array<{
    method: string;
    aal: string;
    completedAt: string;
    provider?: string;
  }>;
  devices: Array<{ id: string; ipAddress?: string; userAgent?: string }>;
  issued_at: Date;
  authenticated_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
}

/** A session found by its token, with the identity it belongs to. */
export interface ActiveSession {
  session: SessionView;
  identity: Identity;
}

/** Read-only queries over the identity and session read models. */
export class IdentityQueries {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async findIdentity(id: string): Promise<Identity | undefined> {
    const { rows } = await this.#pool.query<{ identity: Identity }>(
      "SELECT identity FROM identities WHERE id = $1",
      [id],
    );
    return rows[0]?.identity;
  }

  /** Finds an identity by a normalised credential identifier, such as an email address. */
  async findByIdentifier(
    credentialType: string,
    identifier: string,
  ): Promise<Identity | undefined> {
    const { rows } = await this.#pool.query<{ identity: Identity }>(
      `SELECT i.identity FROM identity_identifiers c JOIN identities i ON i.id = c.identity_id
       WHERE c.credential_type = $1 AND c.identifier = $2`,
      [credentialType, identifier],
    );
    return rows[0]?.identity;
  }

  /** Finds the identity owning a verifiable or recovery address. */
  async findByAddress(
    kind: "verifiable" | "recovery",
    via: string,
    value: string,
  ): Promise<Identity | undefined> {
    const { rows } = await this.#pool.query<{ identity: Identity }>(
      `SELECT i.identity FROM identity_addresses a JOIN identities i ON i.id = a.identity_id
       WHERE a.kind = $1 AND a.via = $2 AND a.value = $3`,
      [kind, via, value],
    );
    return rows[0]?.identity;
  }

  /**
   * Lists the identities holding a normalised identifier under any of `credentialTypes`. Listing
   * the types lets the lookup use the `(credential_type, identifier)` primary key.
   */
  async listByIdentifier(
    identifier: string,
    credentialTypes: readonly string[],
  ): Promise<Identity[]> {
    const { rows } = await this.#pool.query<{ identity: Identity }>(
      `SELECT i.identity FROM identities i
       WHERE i.id IN (SELECT identity_id FROM identity_identifiers
                      WHERE credential_type = ANY ($2::text[]) AND identifier = $1)
       ORDER BY i.created_at, i.id`,
      [identifier, credentialTypes],
    );
    return rows.map((row) => row.identity);
  }

  async findByExternalId(externalId: string): Promise<Identity | undefined> {
    const { rows } = await this.#pool.query<{ identity: Identity }>(
      "SELECT identity FROM identities WHERE external_id = $1",
      [externalId],
    );
    return rows[0]?.identity;
  }

  /**
   * Lists identities oldest first, from after the `(createdAt, id)` cursor, reading one row more
   * than the page to tell whether another page follows.
   */
  async listIdentities(options: {
    pageSize: number;
    after?: { createdAt: string; id: string };
    ids?: string[];
  }): Promise<{ identities: Identity[]; next?: { createdAt: string; id: string } }> {
    const { rows } = await this.#pool.query<{ identity: Identity; created_at: Date; id: string }>(
      `SELECT identity, created_at, id FROM identities
       WHERE ($1::timestamptz IS NULL OR (created_at, id) > ($1::timestamptz, $2::uuid))
         AND ($3::uuid[] IS NULL OR id = ANY ($3))
       ORDER BY created_at, id LIMIT $4`,
      [
        options.after?.createdAt ?? null,
        options.after?.id ?? null,
        options.ids ?? null,
        options.pageSize + 1,
      ],
    );
    const page = rows.slice(0, options.pageSize);
    const last = page.at(-1);
    return {
      identities: page.map((row) => row.identity),
      next:
        rows.length > options.pageSize && last
          ? { createdAt: last.created_at.toISOString(), id: last.id }
          : undefined,
    };
  }

  /** Finds an unexpired, unrevoked session by the SHA-256 of its token, with its identity. */
  async findActiveSession(tokenHash: string, now: Date): Promise<ActiveSession | undefined> {
    const { rows } = await this.#pool.query<SessionRow & { identity: Identity }>(
      `SELECT s.*, i.identity FROM sessions s JOIN identities i ON i.id = s.identity_id
       WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2
         AND i.state = 'active'`,
      [tokenHash, now],
    );
    const row = rows[0];
    if (!row) return undefined;
    return { session: toSessionView(row, now), identity: row.identity };
  }

  async findSession(
    id: string,
    now: Date,
  ): Promise<(SessionView & { identityId: string }) | undefined> {
    const { rows } = await this.#pool.query<SessionRow>("SELECT * FROM sessions WHERE id = $1", [
      id,
    ]);
    const row = rows[0];
    return row ? { ...toSessionView(row, now), identityId: row.identity_id } : undefined;
  }

  /** Lists an identity's sessions, newest first; `active` filters by whether they still work. */
  async listSessions(
    identityId: string,
    now: Date,
    options: { active?: boolean; limit?: number } = {},
  ): Promise<SessionView[]> {
    const { rows } = await this.#pool.query<SessionRow>(
      `SELECT * FROM sessions WHERE identity_id = $1
         AND ($2::boolean IS NULL OR ($2 = (revoked_at IS NULL AND expires_at > $3)))
       ORDER BY issued_at DESC LIMIT $4`,
      [identityId, options.active ?? null, now, options.limit ?? 500],
    );
    return rows.map((row) => toSessionView(row, now));
  }

  /**
   * Lists one page of an identity's sessions, newest first, from after the `(issuedAt, id)`
   * cursor. Reads one row more than the page to tell whether another page follows.
   */
  async listSessionsPage(
    /** The identity whose sessions to list, or null for the sessions of every identity. */
    identityId: string | null,
    now: Date,
    options: {
      active?: boolean;
      pageSize: number;
      after?: { issuedAt: string; id: string };
      /** A session left out of the list, such as the caller's own. */
      exceptSessionId?: string;
    },
  ): Promise<{
    sessions: (SessionView & { identityId: string })[];
    next?: { issuedAt: string; id: string };
  }> {
    const { rows } = await this.#pool.query<SessionRow>(
      `SELECT * FROM sessions WHERE ($1::uuid IS NULL OR identity_id = $1)
         AND ($2::boolean IS NULL OR ($2 = (revoked_at IS NULL AND expires_at > $3)))
         AND ($4::timestamptz IS NULL OR (issued_at, id) < ($4::timestamptz, $5::uuid))
         AND ($7::uuid IS NULL OR id <> $7)
       ORDER BY issued_at DESC, id DESC LIMIT $6`,
      [
        identityId,
        options.active ?? null,
        now,
        options.after?.issuedAt ?? null,
        options.after?.id ?? null,
        options.pageSize + 1,
        options.exceptSessionId ?? null,
      ],
    );
    const page = rows.slice(0, options.pageSize);
    const last = page.at(-1);
    return {
      sessions: page.map((row) => ({ ...toSessionView(row, now), identityId: row.identity_id })),
      next:
        rows.length > options.pageSize && last
          ? { issuedAt: last.issued_at.toISOString(), id: last.id }
          : undefined,
    };
  }
}

/**
 * Builds the view of a session from its `SessionIssued` data, as the sessions read model will
 * contain it once the event is applied.
 */
export function issuedSessionView(data: SessionIssued["data"], now: Date): SessionView {
  return toSessionView(
    {
      id: data.sessionId,
      identity_id: data.identityId,
      aal: data.aal,
      authentication_methods: data.authenticationMethods,
      devices: [data.device],
      issued_at: new Date(data.issuedAt),
      authenticated_at: new Date(data.authenticatedAt),
      expires_at: new Date(data.expiresAt),
      revoked_at: null,
    },
    now,
  );
}

function toSessionView(row: SessionRow, now: Date): SessionView {
  return {
    id: row.id,
    active: row.revoked_at === null && row.expires_at > now,
    expiresAt: row.expires_at,
    authenticatedAt: row.authenticated_at,
    issuedAt: row.issued_at,
    authenticatorAssuranceLevel: row.aal,
    authenticationMethods: row.authentication_methods.map((method) => ({
      method: method.method as SessionView["authenticationMethods"][number]["method"],
      aal: method.aal as SessionView["authenticatorAssuranceLevel"],
      completedAt: new Date(method.completedAt),
      ...(method.provider ? { provider: method.provider } : {}),
    })),
    devices: row.devices.map((device) => ({ ...device })),
  };
}

/** Converts the domain identity, stored in the read model, to the view the JSON layer renders. */
export function toIdentityView(identity: Identity): IdentityView {
  const credentials: CredentialView[] = Object.entries(identity.credentials).flatMap(
    ([type, credential]) =>
      credential
        ? [
            {
              type: type as CredentialView["type"],
              identifiers: credential.identifiers,
              config: credentialConfigJson(type, credential.config),
              version: credential.version,
              createdAt: new Date(credential.createdAt),
              updatedAt: new Date(credential.updatedAt),
            },
          ]
        : [],
  );
  return {
    id: identity.id,
    schemaId: identity.schemaId,
    state: identity.state,
    stateChangedAt: identity.stateChangedAt ? new Date(identity.stateChangedAt) : null,
    traits: identity.traits as Record<string, unknown>,
    verifiableAddresses: identity.verifiableAddresses.map((address) => ({
      id: address.id,
      value: address.value,
      verified: address.verified,
      via: address.via,
      status: address.status,
      verifiedAt: address.verifiedAt ? new Date(address.verifiedAt) : null,
      createdAt: new Date(address.createdAt),
      updatedAt: new Date(address.updatedAt),
    })),
    recoveryAddresses: identity.recoveryAddresses.map((address) => ({
      id: address.id,
      value: address.value,
      via: address.via,
      createdAt: new Date(address.createdAt),
      updatedAt: new Date(address.updatedAt),
    })),
    metadataPublic: identity.metadataPublic as Record<string, unknown> | null,
    metadataAdmin: identity.metadataAdmin as Record<string, unknown> | null,
    credentials,
    createdAt: new Date(identity.createdAt),
    updatedAt: new Date(identity.updatedAt),
    organizationId: null,
    externalId: identity.externalId,
  };
}

/** Kratos's snake_case credential config; the password hash is shown only when asked for. */
function credentialConfigJson(type: string, config: unknown): Record<string, unknown> {
  if (type === "password") {
    const hashed = (config as { hashedPassword?: string }).hashedPassword;
    return hashed ? { hashed_password: hashed } : {};
  }
  return (config ?? {}) as Record<string, unknown>;
}
