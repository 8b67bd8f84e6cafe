import type {
  SessionIssued,
  SessionRefreshed,
  SessionRevoked,
} from "../../domain/identity/index.ts";
import type { RecordedEvent } from "../../eventstore/port.ts";
import type { ProjectionDefinition } from "../projection.ts";

/**
 * Sessions by token hash for whoami, and by identity for session lists. Rows of an erased or
 * deleted identity are removed; `version` guards against a replayed event.
 */
export function sessionProjection(): ProjectionDefinition {
  return {
    name: "sessions",
    version: 2,
    kind: "read_model",
    eventTypes: [
      "SessionIssued",
      "SessionRefreshed",
      "SessionRevoked",
      "IdentityErased",
      "IdentityDeleted",
    ],
    tables: ["sessions"],
    async createTables(tx, table) {
      await tx.query(`CREATE TABLE ${table("sessions")} (
        id uuid PRIMARY KEY,
        identity_id uuid NOT NULL,
        token_hash text NOT NULL UNIQUE,
        aal text NOT NULL,
        authentication_methods jsonb NOT NULL,
        devices jsonb NOT NULL,
        issued_at timestamptz NOT NULL,
        authenticated_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz,
        version bigint NOT NULL)`);
      await tx.query(`CREATE INDEX ON ${table("sessions")} (identity_id, issued_at DESC)`);
      await tx.query(`CREATE INDEX ON ${table("sessions")} (issued_at DESC, id DESC)`);
    },
    async apply(events, { tx, table }) {
      const sessions = table("sessions");
      // Consecutive issued sessions go in one INSERT, so a batch of logins costs one round trip.
      let issued: RecordedEvent[] = [];
      const insertIssued = async () => {
        if (issued.length === 0) return;
        await tx.query(
          `INSERT INTO ${sessions} (id, identity_id, token_hash, aal, authentication_methods,
             devices, issued_at, authenticated_at, expires_at, version)
           SELECT r.id, r.identity_id, r.token_hash, r.aal, r.authentication_methods, r.devices,
             r.issued_at, r.authenticated_at, r.expires_at, r.version
           FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, identity_id uuid, token_hash text,
             aal text, authentication_methods jsonb, devices jsonb, issued_at timestamptz,
             authenticated_at timestamptz, expires_at timestamptz, version bigint)
           ON CONFLICT (id) DO NOTHING`,
          [JSON.stringify(issued.map(issuedRow))],
        );
        issued = [];
      };

      for (const event of events) {
        if (event.type === "SessionIssued") {
          issued.push(event);
          continue;
        }
        await insertIssued();
        const version = event.streamVersion;
        switch (event.type) {
          case "SessionRefreshed": {
            const data = event.data as SessionRefreshed["data"];
            await tx.query(
              `UPDATE ${sessions} SET expires_at = $2, version = $3 WHERE id = $1 AND version < $3`,
              [data.sessionId, data.expiresAt, version],
            );
            break;
          }
          case "SessionRevoked": {
            const data = event.data as SessionRevoked["data"];
            await tx.query(
              `UPDATE ${sessions} SET revoked_at = $2, version = $3 WHERE id = $1 AND version < $3`,
              [data.sessionId, data.revokedAt, version],
            );
            break;
          }
          default: {
            const { identityId } = event.data as { identityId: string };
            await tx.query(`DELETE FROM ${sessions} WHERE identity_id = $1`, [identityId]);
          }
        }
      }
      await insertIssued();
    },
  };
}

function issuedRow(event: RecordedEvent) {
  const data = event.data as SessionIssued["data"];
  return {
    id: data.sessionId,
    identity_id: data.identityId,
    token_hash: data.tokenHash,
    aal: data.aal,
    authentication_methods: data.authenticationMethods,
    devices: [data.device],
    issued_at: data.issuedAt,
    authenticated_at: data.authenticatedAt,
    expires_at: data.expiresAt,
    version: event.streamVersion,
  };
}
