-- Event store: streams, events, unique claims and the append function.

-- One row per stream. Appends lock it, so writers to one stream queue here.
CREATE TABLE streams (
  stream_id text PRIMARY KEY,
  version bigint NOT NULL,
  head_hash bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- tx_id orders events across streams: readers of $all only read below the oldest transaction
-- still running, so an event whose transaction commits late is never skipped. seq orders the
-- events of one transaction.
CREATE TABLE events (
  stream_id text NOT NULL,
  stream_version bigint NOT NULL,
  event_id uuid NOT NULL UNIQUE,
  event_type text NOT NULL,
  schema_version integer NOT NULL,
  data jsonb NOT NULL,
  metadata jsonb NOT NULL,
  recorded_at timestamptz NOT NULL,
  tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
  seq bigint GENERATED ALWAYS AS IDENTITY,
  hash bytea NOT NULL,
  PRIMARY KEY (stream_id, stream_version)
);

-- Type-filtered reads walk this index too: a second index per type would slow every append.
CREATE INDEX events_global_order ON events (tx_id, seq);

-- A unique value (an HMAC of a normalised email, say) and the stream that holds it.
CREATE TABLE unique_claims (
  claim_type text NOT NULL,
  claim_key text NOT NULL,
  stream_id text NOT NULL,
  claimed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (claim_type, claim_key)
);

CREATE INDEX unique_claims_stream ON unique_claims (stream_id);

-- Data keys for personal fields, one per subject, wrapped by a master key from configuration.
-- Deleting a row erases every personal field encrypted under it.
CREATE TABLE personal_data_keys (
  subject_id text PRIMARY KEY,
  wrapped_key bytea NOT NULL,
  master_key_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Events are immutable: reject every UPDATE, DELETE and TRUNCATE, whoever runs it.
CREATE FUNCTION reject_event_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'events are immutable: % rejected', TG_OP USING ERRCODE = 'RG010';
END;
$$;

CREATE TRIGGER events_immutable_rows BEFORE UPDATE OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION reject_event_change();
CREATE TRIGGER events_immutable_table BEFORE TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION reject_event_change();

-- Appends events to one stream in one round trip. Each element of p_events carries event_id,
-- type, schema_version, data, metadata and content_hash: the hex SHA-256 of the event's
-- canonical JSON with its stream id, computed by the application. Each event's hash links the
-- previous hash, the content hash, the stream version and the append time (8-byte big-endian
-- integers, the time in microseconds since the Unix epoch), so any change to a stored event
-- breaks its stream's chain.
--
-- Raises RG001 on a wrong expected version (DETAIL holds the actual version), RG002 on a claim
-- held by another stream (DETAIL holds the claim type) and RG004 when another writer created
-- the stream at the same moment (safe to retry). A retried append with stored event ids fails
-- the version check or the unique event id; the application then looks the ids up, so the
-- common path pays nothing for idempotency.
CREATE FUNCTION append_events(
  p_stream_id text,
  p_expected text,
  p_events jsonb,
  p_claims jsonb,
  p_releases jsonb,
  p_destroy_keys text[],
  OUT version bigint,
  OUT tx_id xid8,
  OUT seq bigint
)
LANGUAGE plpgsql AS $$
DECLARE
  v_version bigint;
  v_hash bytea;
  v_new_stream boolean;
  v_mismatch boolean;
  v_now timestamptz := now();
  v_time bytea := int8send((extract(epoch FROM now()) * 1000000)::bigint);
  v_event jsonb;
  v_claim jsonb;
  v_count integer := jsonb_array_length(p_events);
  v_hashes bytea[] := '{}';
  v_seq bigint;
BEGIN
  SELECT s.version, s.head_hash INTO v_version, v_hash
  FROM streams s WHERE s.stream_id = p_stream_id FOR UPDATE;
  v_new_stream := NOT FOUND;
  IF v_new_stream THEN
    v_version := 0;
    v_hash := '\x0000000000000000000000000000000000000000000000000000000000000000';
  END IF;

  v_mismatch := CASE p_expected
    WHEN 'any' THEN false
    WHEN 'no_stream' THEN v_version <> 0
    WHEN 'exists' THEN v_version = 0
    ELSE v_version <> p_expected::bigint
  END;
  IF v_mismatch THEN
    RAISE EXCEPTION 'wrong expected version' USING ERRCODE = 'RG001', DETAIL = v_version::text;
  END IF;

  IF jsonb_array_length(p_releases) > 0 THEN
    FOR v_claim IN SELECT * FROM jsonb_array_elements(p_releases) LOOP
      DELETE FROM unique_claims c
      WHERE c.claim_type = v_claim->>'type' AND c.claim_key = v_claim->>'key'
        AND c.stream_id = p_stream_id;
    END LOOP;
  END IF;

  IF jsonb_array_length(p_claims) > 0 THEN
    FOR v_claim IN SELECT * FROM jsonb_array_elements(p_claims) LOOP
      INSERT INTO unique_claims AS c (claim_type, claim_key, stream_id)
      VALUES (v_claim->>'type', v_claim->>'key', p_stream_id)
      ON CONFLICT (claim_type, claim_key) DO UPDATE SET claimed_at = c.claimed_at
        WHERE c.stream_id = EXCLUDED.stream_id;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'claim held by another stream' USING ERRCODE = 'RG002',
          DETAIL = v_claim->>'type';
      END IF;
    END LOOP;
  END IF;

  -- One event is the common case; it skips the set-returning loop, the array and the sort below.
  IF v_count = 1 THEN
    v_event := p_events->0;
    v_version := v_version + 1;
    v_hash := sha256(v_hash || decode(v_event->>'content_hash', 'hex') || int8send(v_version)
      || v_time);
  ELSE
    FOR v_event IN SELECT * FROM jsonb_array_elements(p_events) LOOP
      v_version := v_version + 1;
      v_hash := sha256(v_hash || decode(v_event->>'content_hash', 'hex') || int8send(v_version)
        || v_time);
      v_hashes := v_hashes || v_hash;
    END LOOP;
  END IF;

  -- A new stream's row is written once, with its final version. Its primary key serialises
  -- concurrent creators: the loser waits for the winner's commit, then sees the conflict.
  IF v_new_stream THEN
    INSERT INTO streams (stream_id, version, head_hash) VALUES (p_stream_id, v_version, v_hash)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
      IF p_expected = 'no_stream' OR p_expected = '0' THEN
        RAISE EXCEPTION 'wrong expected version' USING ERRCODE = 'RG001',
          DETAIL = (SELECT s.version FROM streams s WHERE s.stream_id = p_stream_id)::text;
      END IF;
      RAISE EXCEPTION 'stream created concurrently' USING ERRCODE = 'RG004';
    END IF;
  ELSE
    UPDATE streams s SET version = v_version, head_hash = v_hash, updated_at = v_now
    WHERE s.stream_id = p_stream_id;
  END IF;

  IF v_count = 1 THEN
    INSERT INTO events (stream_id, stream_version, event_id, event_type, schema_version, data,
      metadata, recorded_at, hash)
    VALUES (p_stream_id, v_version, (v_event->>'event_id')::uuid, v_event->>'type',
      (v_event->>'schema_version')::integer, v_event->'data', v_event->'metadata', v_now, v_hash)
    RETURNING events.seq INTO v_seq;
  ELSE
    WITH inserted AS (
      INSERT INTO events (stream_id, stream_version, event_id, event_type, schema_version, data,
        metadata, recorded_at, hash)
      SELECT p_stream_id, v_version - v_count + n.i, (n.event->>'event_id')::uuid,
        n.event->>'type', (n.event->>'schema_version')::integer, n.event->'data',
        n.event->'metadata', v_now, v_hashes[n.i]
      FROM jsonb_array_elements(p_events) WITH ORDINALITY AS n(event, i)
      ORDER BY n.i
      RETURNING events.seq
    )
    SELECT max(inserted.seq) INTO v_seq FROM inserted;
  END IF;

  IF cardinality(p_destroy_keys) > 0 THEN
    DELETE FROM personal_data_keys k WHERE k.subject_id = ANY (p_destroy_keys);
  END IF;

  version := v_version;
  tx_id := pg_current_xact_id();
  seq := v_seq;
END;
$$;
