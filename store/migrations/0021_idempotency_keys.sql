-- The answers to requests sent with an Idempotency-Key, kept for a day so
-- that a retry is answered as the first request was without acting again.
-- scope is a SHA-256 over the caller, the route, the resource and the key,
-- so neither the key (a client may write anything in it) nor the caller
-- is kept in clear; fingerprint is a SHA-256 of the request. A row whose
-- status is NULL is a request still in flight. The body of an answer about
-- one trajectory is sealed under that trajectory's data key (body_sealed);
-- trajectories lists the trajectories an answer is about, so that an
-- erasure deletes its rows.
CREATE TABLE idempotency_keys (
    scope         bytea PRIMARY KEY,
    fingerprint   bytea NOT NULL,
    trajectories  text[] NOT NULL DEFAULT '{}',
    status        integer,
    location      text NOT NULL DEFAULT '',
    content_type  text NOT NULL DEFAULT '',
    etag          text NOT NULL DEFAULT '',
    body          bytea,
    body_sealed   boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    locked_until  timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL
);

CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);
CREATE INDEX idempotency_keys_trajectories ON idempotency_keys USING gin (trajectories);

-- What a referral said, as a keyed digest under its trajectory's data key
-- (unreadable once erased, and deleted with it): a referral sent again
-- with the same reference but other content is refused, not silently
-- answered with the first.
CREATE TABLE referral_fingerprints (
    trajectory_id text PRIMARY KEY,
    tag           text NOT NULL
);
