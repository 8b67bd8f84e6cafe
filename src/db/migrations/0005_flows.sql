-- Self-service flows: short-lived state of login, registration, settings, recovery and
-- verification. They are not event-sourced; what they change goes through commands.
CREATE TABLE flows (
  id uuid PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('login', 'registration', 'settings', 'recovery', 'verification')),
  flow_type text NOT NULL CHECK (flow_type IN ('api', 'browser')),
  state text NOT NULL,
  request_url text NOT NULL,
  return_to text,
  identity_id uuid,
  session_id uuid,
  ui jsonb NOT NULL,
  -- Server-side state the client never sees, such as code hashes and attempt counts.
  internal jsonb NOT NULL DEFAULT '{}',
  issued_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX flows_expires_at ON flows (expires_at);

-- Failed logins, lockouts and other high-volume security events. They stay out of identity
-- streams, so an unknown identifier never creates a stream. Rows are never changed.
CREATE TABLE security_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_type text NOT NULL,
  identity_id uuid,
  -- HMAC of the normalised identifier, never the identifier itself.
  identifier_key text,
  metadata jsonb NOT NULL,
  occurred_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX security_log_identity ON security_log (identity_id, occurred_at);
CREATE INDEX security_log_identifier ON security_log (identifier_key, occurred_at);

CREATE TRIGGER security_log_immutable_rows BEFORE UPDATE OR DELETE ON security_log
  FOR EACH ROW EXECUTE FUNCTION reject_event_change();

-- Stored answers of admin commands sent with an Idempotency-Key header.
CREATE TABLE idempotency_keys (
  key_hash text PRIMARY KEY,
  request_hash text NOT NULL,
  status integer NOT NULL,
  response jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
