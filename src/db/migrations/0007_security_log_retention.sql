-- Security log retention: rows stay immutable, except that the retention purge may delete rows
-- older than a day, and only inside a transaction that sets registrar.purge_security_log.
CREATE FUNCTION reject_security_log_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE'
     AND current_setting('registrar.purge_security_log', true) = 'on'
     AND OLD.occurred_at < now() - interval '1 day' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'security log rows are immutable: % rejected', TG_OP USING ERRCODE = 'RG010';
END;
$$;

DROP TRIGGER security_log_immutable_rows ON security_log;
CREATE TRIGGER security_log_immutable_rows BEFORE UPDATE OR DELETE ON security_log
  FOR EACH ROW EXECUTE FUNCTION reject_security_log_change();
