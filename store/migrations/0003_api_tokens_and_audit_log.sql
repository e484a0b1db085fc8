-- API tokens: who may call the API, as what. The token itself is never
-- stored: only the SHA-256 of the whole token, looked up by its public id
-- (the part before the dot), so a copy of this table lets nobody in.
CREATE TABLE api_tokens (
    id           text PRIMARY KEY CHECK (id ~ '^tok_[a-z2-7]{8}$'),
    secret_hash  bytea       NOT NULL CHECK (length(secret_hash) = 32),
    kind         text        NOT NULL CHECK (kind IN ('partner', 'coach', 'supervisor', 'admin')),
    -- The organisation id (partner), coach id (coach), supervisor id or
    -- administrator name: the "who" of kind:subject in the logs.
    subject      text        NOT NULL CHECK (subject ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    -- The programmes a coach or supervisor works in; none for partners
    -- (the programmes decide whom they accept) and administrators.
    programmes   text[]      NOT NULL DEFAULT '{}',
    label        text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz,
    last_used_at timestamptz,
    CONSTRAINT api_tokens_programmes_by_kind CHECK (
        (kind IN ('coach', 'supervisor')) = (cardinality(programmes) > 0))
);

-- The audit log: every read of personal data, every action and every
-- refused attempt, with who, what and when. Append-only like
-- trajectory_events. detail holds ids and field names, never the values of
-- personal data.
CREATE TABLE audit_log (
    id            bigserial PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    actor         text        NOT NULL,
    action        text        NOT NULL,
    trajectory_id text,
    outcome       text        NOT NULL,
    detail        jsonb       NOT NULL DEFAULT '{}'
);

CREATE INDEX audit_log_trajectory_idx ON audit_log (trajectory_id, id) WHERE trajectory_id IS NOT NULL;
CREATE INDEX audit_log_actor_idx ON audit_log (actor, id);
CREATE INDEX audit_log_at_idx ON audit_log (at);

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
END
$$;

CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();

CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
