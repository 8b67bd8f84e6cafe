import type pg from "pg";
import {
  evolveIdentity,
  type Identity,
  type IdentityEvent,
  type IdentityStreamState,
  identityEventTypes,
} from "../../domain/identity/index.ts";
import type { RecordedEvent } from "../../eventstore/port.ts";
import type { ProjectionDefinition, TableNamer } from "../projection.ts";

const sessionEventTypes = new Set(["SessionIssued", "SessionRefreshed", "SessionRevoked"]);

/**
 * Identity lookup by id, credential identifier and external id, with the identity's credentials
 * and addresses. Each row keeps the folded domain identity and the stream version it reflects.
 * Events at or below that version are skipped, so a replayed event changes nothing.
 */
export function identityProjection(): ProjectionDefinition {
  return {
    name: "identities",
    version: 1,
    kind: "read_model",
    eventTypes: identityEventTypes.filter((type) => !sessionEventTypes.has(type)),
    tables: ["identities", "identity_identifiers", "identity_addresses"],
    createTables,
    async apply(events, { tx, table }) {
      const byIdentity = new Map<string, RecordedEvent[]>();
      for (const event of events) {
        const id = (event.data as { identityId: string }).identityId;
        byIdentity.set(id, [...(byIdentity.get(id) ?? []), event]);
      }
      for (const [identityId, identityEvents] of byIdentity) {
        await applyToIdentity(tx, table, identityId, identityEvents);
      }
    },
  };
}

async function createTables(tx: pg.PoolClient, table: TableNamer): Promise<void> {
  await tx.query(`CREATE TABLE ${table("identities")} (
    id uuid PRIMARY KEY,
    schema_id text NOT NULL,
    state text NOT NULL,
    external_id text UNIQUE,
    identity jsonb NOT NULL,
    version bigint NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL)`);
  await tx.query(`CREATE INDEX ON ${table("identities")} (created_at, id)`);
  await tx.query(`CREATE TABLE ${table("identity_identifiers")} (
    credential_type text NOT NULL,
    identifier text NOT NULL,
    identity_id uuid NOT NULL,
    PRIMARY KEY (credential_type, identifier))`);
  await tx.query(`CREATE INDEX ON ${table("identity_identifiers")} (identity_id)`);
  await tx.query(`CREATE TABLE ${table("identity_addresses")} (
    kind text NOT NULL,
    via text NOT NULL,
    value text NOT NULL,
    identity_id uuid NOT NULL,
    address_id uuid NOT NULL,
    PRIMARY KEY (kind, via, value))`);
  await tx.query(`CREATE INDEX ON ${table("identity_addresses")} (identity_id)`);
}

async function applyToIdentity(
  tx: pg.PoolClient,
  table: TableNamer,
  identityId: string,
  events: readonly RecordedEvent[],
): Promise<void> {
  const { rows } = await tx.query<{ identity: Identity; version: string }>(
    `SELECT identity, version FROM ${table("identities")} WHERE id = $1 FOR UPDATE`,
    [identityId],
  );
  const row = rows[0];
  let version = row ? Number(row.version) : 0;
  let state: IdentityStreamState = row
    ? { status: "existing", identity: row.identity, sessions: new Map() }
    : { status: "none" };

  for (const event of events) {
    if (event.streamVersion <= version) continue;
    state = evolveIdentity(state, event as unknown as IdentityEvent);
    version = event.streamVersion;
  }
  if (row && version === Number(row.version)) return;

  if (state.status !== "existing") {
    await removeIdentity(tx, table, identityId);
    return;
  }
  await writeIdentity(tx, table, state.identity, version);
}

async function writeIdentity(
  tx: pg.PoolClient,
  table: TableNamer,
  identity: Identity,
  version: number,
): Promise<void> {
  await tx.query(
    `INSERT INTO ${table("identities")}
       (id, schema_id, state, external_id, identity, version, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (id) DO UPDATE SET schema_id = EXCLUDED.schema_id, state = EXCLUDED.state,
       external_id = EXCLUDED.external_id, identity = EXCLUDED.identity,
       version = EXCLUDED.version, updated_at = EXCLUDED.updated_at`,
    [
      identity.id,
      identity.schemaId,
      identity.state,
      identity.externalId,
      JSON.stringify(identity),
      version,
      identity.createdAt,
      identity.updatedAt,
    ],
  );

  await tx.query(`DELETE FROM ${table("identity_identifiers")} WHERE identity_id = $1`, [
    identity.id,
  ]);
  const identifiers = Object.entries(identity.credentials).flatMap(([type, credential]) =>
    (credential?.identifiers ?? []).map((identifier) => ({ type, identifier })),
  );
  if (identifiers.length > 0) {
    await tx.query(
      `INSERT INTO ${table("identity_identifiers")} (credential_type, identifier, identity_id)
       SELECT r.type, r.identifier, $1 FROM jsonb_to_recordset($2::jsonb) AS r(type text, identifier text)`,
      [identity.id, JSON.stringify(identifiers)],
    );
  }

  await tx.query(`DELETE FROM ${table("identity_addresses")} WHERE identity_id = $1`, [
    identity.id,
  ]);
  const addresses = [
    ...identity.verifiableAddresses.map((a) => ({ kind: "verifiable", ...a })),
    ...identity.recoveryAddresses.map((a) => ({ kind: "recovery", ...a })),
  ].map((a) => ({ kind: a.kind, via: a.via, value: a.value, id: a.id }));
  if (addresses.length > 0) {
    await tx.query(
      `INSERT INTO ${table("identity_addresses")} (kind, via, value, identity_id, address_id)
       SELECT r.kind, r.via, r.value, $1, r.id
       FROM jsonb_to_recordset($2::jsonb) AS r(kind text, via text, value text, id uuid)`,
      [identity.id, JSON.stringify(addresses)],
    );
  }
}

async function removeIdentity(
  tx: pg.PoolClient,
  table: TableNamer,
  identityId: string,
): Promise<void> {
  for (const name of ["identity_identifiers", "identity_addresses"]) {
    await tx.query(`DELETE FROM ${table(name)} WHERE identity_id = $1`, [identityId]);
  }
  await tx.query(`DELETE FROM ${table("identities")} WHERE id = $1`, [identityId]);
}
