-- Personal data: remember every subject whose data key was destroyed.

-- A destroyed key must stay destroyed. Key creation skips subjects listed here, so a command
-- that runs after an erasure cannot start a fresh key and store new personal data under it.
-- Only ids are kept, and the events already carry them.
CREATE TABLE erased_subjects (
  subject_id text PRIMARY KEY,
  erased_at timestamptz NOT NULL DEFAULT now()
);

-- Fires for every deletion, including the one `append_events` runs for `p_destroy_keys`.
CREATE FUNCTION record_erased_subject() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO erased_subjects (subject_id) VALUES (OLD.subject_id) ON CONFLICT DO NOTHING;
  RETURN OLD;
END;
$$;

CREATE TRIGGER personal_data_keys_erased AFTER DELETE ON personal_data_keys
  FOR EACH ROW EXECUTE FUNCTION record_erased_subject();
