import type {
  SessionIssued,
  SessionRefreshed,
  SessionRevoked,
} from "../../domain/identity/index.ts";
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
      for (const event of events) {
        const version = event.streamVersion;
        switch (event.type) {
          case "SessionIssued": {
            const data = event.data as SessionIssued["data"];
            await tx.query(
              `INSERT INTO ${sessions} (id, identity_id, token_hash, aal, authentication_methods,
                 devices, issued_at, authenticated_at, expires_at, version)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING`,
              [
                data.sessionId,
                data.identityId,
                data.tokenHash,
                data.aal,
                JSON.stringify(data.authenticationMethods),
                JSON.stringify([data.device]),
                data.issuedAt,
                data.authenticatedAt,
                data.expiresAt,
                version,
              ],
            );
            break;
          }
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
    },
  };
}
