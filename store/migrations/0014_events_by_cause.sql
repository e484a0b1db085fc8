-- Every event is written from the workflow's history, never from a
-- workflow task Temporal may lose, and is identified by its cause: the
-- Update of a step, an email's idempotency key, a link's expiry. A second
-- write of the same cause changes nothing, so no row is ever rewritten:
-- the log is append-only again, without exception. Events written before
-- causes existed keep a NULL cause (NULLs never conflict).
ALTER TABLE trajectory_events ADD COLUMN cause text;
ALTER TABLE trajectory_events DROP CONSTRAINT trajectory_events_pkey;
-- The order in which the database received the rows: it breaks ties in
-- seq, which only rows from before causes can share.
ALTER TABLE trajectory_events ADD COLUMN pos bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;
CREATE UNIQUE INDEX trajectory_events_cause ON trajectory_events (trajectory_id, cause);
CREATE INDEX trajectory_events_order ON trajectory_events (trajectory_id, seq, pos);

CREATE OR REPLACE FUNCTION trajectory_events_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'trajectory_events is append-only: % refused', TG_OP;
END
$$;

-- first_run_id is the workflow run whose log this is (the first run of its
-- chain; continue-as-new keeps it): an event of another run is refused.
-- previous_trajectory_id names the family's earlier trajectory when the
-- same partner referred the family again after it closed.
ALTER TABLE trajectories ADD COLUMN first_run_id text;
ALTER TABLE trajectories ADD COLUMN previous_trajectory_id text;
CREATE INDEX trajectories_previous_idx ON trajectories (previous_trajectory_id) WHERE previous_trajectory_id IS NOT NULL;
