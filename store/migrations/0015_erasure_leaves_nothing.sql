-- Erasure leaves nothing that identifies a family: every date and service
-- of a family is sealed under its data key, or kept only as coarse as a
-- report needs it (a month, a count per programme), and an erasure removes
-- what stays in clear for running the trajectory.

-- An erased trajectory's data key row is deleted, not emptied: what remains
-- is that, and when, the trajectory was erased. A key is never made again
-- for an erased trajectory, not even by an insert that waited on the
-- erasure's transaction (so the check runs after the insert).
CREATE TABLE erased_trajectories (
    trajectory_id text PRIMARY KEY,
    programme_id  text        NOT NULL,
    erased_at     timestamptz NOT NULL DEFAULT now()
);
INSERT INTO erased_trajectories (trajectory_id, programme_id, erased_at)
    SELECT trajectory_id, programme_id, erased_at FROM trajectory_keys WHERE erased_at IS NOT NULL;
DELETE FROM trajectory_keys WHERE erased_at IS NOT NULL;
DROP INDEX trajectory_keys_key_idx;
ALTER TABLE trajectory_keys
    DROP CONSTRAINT trajectory_keys_erased,
    DROP COLUMN erased_at,
    ALTER COLUMN key_id SET NOT NULL,
    ALTER COLUMN wrapped SET NOT NULL;
CREATE INDEX trajectory_keys_key_idx ON trajectory_keys (key_id);

CREATE FUNCTION trajectory_keys_refuse_erased() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM erased_trajectories WHERE trajectory_id = NEW.trajectory_id) THEN
        RAISE EXCEPTION 'trajectory % was erased: its data key is never made again', NEW.trajectory_id
            USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'trajectory_keys_not_erased';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER trajectory_keys_not_erased
    AFTER INSERT ON trajectory_keys
    FOR EACH ROW EXECUTE FUNCTION trajectory_keys_refuse_erased();
