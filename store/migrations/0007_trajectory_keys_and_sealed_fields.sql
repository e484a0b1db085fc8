-- Envelope encryption (package keys): each trajectory's own data key,
-- wrapped by a key of its programme (key_id names it). Erasure destroys the
-- wrapped key (key_id and wrapped become NULL): everything encrypted under
-- it, in Temporal and in the columns below, can no longer be read, while
-- the row itself says that and when the trajectory was erased.
CREATE TABLE trajectory_keys (
    trajectory_id text PRIMARY KEY,
    programme_id  text        NOT NULL,
    key_id        text,
    wrapped       bytea,
    created_at    timestamptz NOT NULL DEFAULT now(),
    erased_at     timestamptz,
    CONSTRAINT trajectory_keys_erased CHECK (
        (erased_at IS NULL) = (key_id IS NOT NULL AND wrapped IS NOT NULL))
);
CREATE INDEX trajectory_keys_key_idx ON trajectory_keys (key_id) WHERE erased_at IS NULL;

-- The personal data of the read model (referrer reference, family, reason,
-- children) and of each event's detail, sealed under the trajectory's data
-- key. The clear columns stay for rows written before: new rows leave them
-- empty.
ALTER TABLE trajectories ADD COLUMN personal bytea;
ALTER TABLE trajectory_events ADD COLUMN sealed_detail bytea;
