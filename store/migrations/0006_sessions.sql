-- Browser sessions of coaches and supervisors. The cookie holds a random
-- id; only its SHA-256 is stored, so a copy of this table signs nobody in.
-- A session is tied to the token it was opened with: revoking the token
-- ends its sessions too.
CREATE TABLE sessions (
    id_hash      bytea       PRIMARY KEY CHECK (length(id_hash) = 32),
    token_id     text        NOT NULL REFERENCES api_tokens (id),
    -- The per-session secret that every form of the pages carries (CSRF).
    csrf_token   text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz
);

CREATE INDEX sessions_expires_idx ON sessions (expires_at);
