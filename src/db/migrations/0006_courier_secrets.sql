-- The code or link that a requested verification or recovery mail carries. It stays out of the
-- immutable event log, which must never hold a usable secret, and lives here only until the
-- code is used, replaced by another one or expired. `secret` is a `pd1.` field token under the
-- identity's data key, so erasing the identity makes it unreadable as well.
CREATE TABLE courier_secrets (
  message_id uuid PRIMARY KEY,
  identity_id uuid NOT NULL,
  -- The flow whose challenge the secret completes; using or replacing that challenge deletes it.
  flow_id uuid NOT NULL,
  secret text NOT NULL,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX courier_secrets_flow ON courier_secrets (flow_id);
CREATE INDEX courier_secrets_expires_at ON courier_secrets (expires_at);
