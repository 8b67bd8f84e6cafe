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

CREATE INDEX events_global_order ON events (tx_id, seq);
CREATE INDEX events_type_order ON events (event_type, tx_id, seq);

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

-- Link in a stream's hash chain: SHA-256 over the previous link and the event's stored fields.
-- jsonb renders as text in one canonical form, so the same stored event always hashes alike.
CREATE FUNCTION event_hash(
  prev_hash bytea, stream_id text, stream_version bigint, event_id uuid, event_type text,
  schema_version integer, data jsonb, metadata jsonb, recorded_at timestamptz
) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT sha256(prev_hash || convert_to(concat_ws(E'\n',
    stream_id, stream_version::text, event_id::text, event_type, schema_version::text,
    data::text, metadata::text,
    (extract(epoch FROM recorded_at) * 1000000)::bigint::text), 'UTF8'))
$$;

-- Appends events to one stream in one round trip. Raises RG001 on a wrong expected version
-- (DETAIL holds the actual version), RG002 on a claim held by another stream (DETAIL holds the
-- claim type) and RG003 on event ids stored as part of another append.
CREATE FUNCTION append_events(
  p_stream_id text,
  p_expected text,
  p_events jsonb,
  p_claims jsonb,
  p_releases jsonb,
  p_destroy_keys text[]
) RETURNS TABLE (version bigint, tx_id xid8, seq bigint)
LANGUAGE plpgsql AS $$
DECLARE
  v_version bigint;
  v_hash bytea;
  v_now timestamptz := now();
  v_event jsonb;
  v_claim jsonb;
  v_count integer := jsonb_array_length(p_events);
  v_stored integer;
  v_seq bigint;
BEGIN
  INSERT INTO streams (stream_id, version, head_hash)
  VALUES (p_stream_id, 0, '\x0000000000000000000000000000000000000000000000000000000000000000')
  ON CONFLICT DO NOTHING;

  SELECT s.version, s.head_hash INTO v_version, v_hash
  FROM streams s WHERE s.stream_id = p_stream_id FOR UPDATE;

  -- A retried append: the same ids at the same versions return the first result.
  SELECT count(*) INTO v_stored
  FROM events e, jsonb_array_elements(p_events) WITH ORDINALITY AS n(event, i)
  WHERE e.event_id = (n.event->>'event_id')::uuid;
  IF v_stored > 0 THEN
    SELECT count(*) INTO v_stored
    FROM events e, jsonb_array_elements(p_events) WITH ORDINALITY AS n(event, i)
    WHERE e.event_id = (n.event->>'event_id')::uuid
      AND e.stream_id = p_stream_id
      AND e.stream_version = (
        SELECT f.stream_version FROM events f
        WHERE f.event_id = (p_events->0->>'event_id')::uuid AND f.stream_id = p_stream_id
      ) + n.i - 1;
    IF v_stored <> v_count THEN
      RAISE EXCEPTION 'event ids already stored by another append' USING ERRCODE = 'RG003',
        DETAIL = p_events->0->>'event_id';
    END IF;
    RETURN QUERY
      SELECT e.stream_version, e.tx_id, e.seq FROM events e
      WHERE e.event_id = (p_events->(v_count - 1)->>'event_id')::uuid;
    RETURN;
  END IF;

  IF p_expected = 'no_stream' AND v_version <> 0
     OR p_expected = 'exists' AND v_version = 0
     OR p_expected NOT IN ('no_stream', 'exists', 'any') AND v_version <> p_expected::bigint THEN
    RAISE EXCEPTION 'wrong expected version' USING ERRCODE = 'RG001', DETAIL = v_version::text;
  END IF;

  FOR v_claim IN SELECT * FROM jsonb_array_elements(p_releases) LOOP
    DELETE FROM unique_claims c
    WHERE c.claim_type = v_claim->>'type' AND c.claim_key = v_claim->>'key'
      AND c.stream_id = p_stream_id;
  END LOOP;

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

  FOR v_event IN SELECT * FROM jsonb_array_elements(p_events) LOOP
    v_version := v_version + 1;
    v_hash := event_hash(v_hash, p_stream_id, v_version, (v_event->>'event_id')::uuid,
      v_event->>'type', (v_event->>'schema_version')::integer, v_event->'data',
      v_event->'metadata', v_now);
    INSERT INTO events (stream_id, stream_version, event_id, event_type, schema_version, data,
      metadata, recorded_at, hash)
    VALUES (p_stream_id, v_version, (v_event->>'event_id')::uuid, v_event->>'type',
      (v_event->>'schema_version')::integer, v_event->'data', v_event->'metadata', v_now, v_hash)
    RETURNING events.seq INTO v_seq;
  END LOOP;

  UPDATE streams s SET version = v_version, head_hash = v_hash, updated_at = v_now
  WHERE s.stream_id = p_stream_id;

  IF cardinality(p_destroy_keys) > 0 THEN
    DELETE FROM personal_data_keys k WHERE k.subject_id = ANY (p_destroy_keys);
  END IF;

  PERFORM pg_notify('registrar_events', '');
  RETURN QUERY SELECT v_version, pg_current_xact_id(), v_seq;
END;
$$;

-- Recomputes a stream's hash chain. Returns the number of events checked and the first
-- version whose stored hash differs, or NULL when the whole chain matches.
CREATE FUNCTION verify_stream(p_stream_id text)
RETURNS TABLE (checked bigint, broken_at bigint)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_prev bytea := '\x0000000000000000000000000000000000000000000000000000000000000000';
  v_row record;
  v_checked bigint := 0;
BEGIN
  FOR v_row IN
    SELECT * FROM events e WHERE e.stream_id = p_stream_id ORDER BY e.stream_version
  LOOP
    v_checked := v_checked + 1;
    IF v_row.stream_version <> v_checked OR v_row.hash <> event_hash(v_prev, v_row.stream_id,
        v_row.stream_version, v_row.event_id, v_row.event_type, v_row.schema_version,
        v_row.data, v_row.metadata, v_row.recorded_at) THEN
      RETURN QUERY SELECT v_checked, v_checked;
      RETURN;
    END IF;
    v_prev := v_row.hash;
  END LOOP;
  -- A deleted tail event leaves a shorter chain that still links: the stream row tells.
  IF EXISTS (SELECT 1 FROM streams s WHERE s.stream_id = p_stream_id
             AND (s.version <> v_checked OR s.head_hash <> v_prev)) THEN
    RETURN QUERY SELECT v_checked, v_checked + 1;
    RETURN;
  END IF;
  RETURN QUERY SELECT v_checked, NULL::bigint;
END;
$$;
