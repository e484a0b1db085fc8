-- Tokens may expire (elkgezin token create --expires 90d); NULL never does.
ALTER TABLE api_tokens ADD COLUMN expires_at timestamptz;

-- audit_log partitioned by month, so that retention drops a whole month
-- (DROP TABLE audit_log_yYYYYmMM) instead of deleting rows from an
-- append-only table. The existing table becomes the first partition,
-- holding everything before next month; months from then on get their own
-- (audit_log_partitions below; the store makes them ahead of time).
ALTER TABLE audit_log RENAME TO audit_log_before;
-- A partition's primary key must hold the partition key: (id, at) from now.
ALTER TABLE audit_log_before DROP CONSTRAINT audit_log_pkey;
DROP TRIGGER audit_log_append_only ON audit_log_before;
DROP TRIGGER audit_log_no_truncate ON audit_log_before;
ALTER INDEX audit_log_trajectory_idx RENAME TO audit_log_before_trajectory_idx;
ALTER INDEX audit_log_actor_idx RENAME TO audit_log_before_actor_idx;
ALTER INDEX audit_log_at_idx RENAME TO audit_log_before_at_idx;

CREATE TABLE audit_log (
    id            bigint      NOT NULL DEFAULT nextval('audit_log_id_seq'),
    at            timestamptz NOT NULL DEFAULT now(),
    actor         text        NOT NULL,
    action        text        NOT NULL,
    trajectory_id text,
    outcome       text        NOT NULL,
    detail        jsonb       NOT NULL DEFAULT '{}',
    PRIMARY KEY (id, at)
) PARTITION BY RANGE (at);
ALTER SEQUENCE audit_log_id_seq OWNED BY audit_log.id;

CREATE INDEX audit_log_trajectory_idx ON audit_log (trajectory_id, id) WHERE trajectory_id IS NOT NULL;
CREATE INDEX audit_log_actor_idx ON audit_log (actor, id);
CREATE INDEX audit_log_at_idx ON audit_log (at);

ALTER TABLE audit_log ATTACH PARTITION audit_log_before
    FOR VALUES FROM (MINVALUE) TO (date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + interval '1 month');

-- Rows stay append-only in every partition; dropping a whole partition
-- is the one way out, for retention.
CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();

-- audit_log_partitions makes the monthly partitions of the months from
-- the one of $1 up to $2 months ahead (those missing), each refusing
-- TRUNCATE like the rows refuse DELETE.
CREATE FUNCTION audit_log_partitions(from_at timestamptz, months integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    first timestamptz := date_trunc('month', from_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    lo timestamptz;
    name text;
BEGIN
    FOR i IN 0..months LOOP
        lo := first + make_interval(months => i);
        name := 'audit_log_' || to_char(lo AT TIME ZONE 'UTC', '"y"YYYY"m"MM');
        -- A month inside the first partition's range has no partition of its own.
        CONTINUE WHEN EXISTS (
            SELECT 1 FROM pg_class WHERE relname = name)
            OR lo < (SELECT coalesce(max(upper), '-infinity') FROM (
                SELECT (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \(''([^'']+)''\)'))[1]::timestamptz AS upper
                FROM pg_class c WHERE c.relname = 'audit_log_before') b);
        EXECUTE format('CREATE TABLE %I PARTITION OF audit_log FOR VALUES FROM (%L) TO (%L)',
            name, lo, lo + interval '1 month');
        EXECUTE format('CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON %I
            FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()', name);
    END LOOP;
END
$$;

CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log_before
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

SELECT audit_log_partitions(now(), 3);
