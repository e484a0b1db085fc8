-- A local activity writes each event from inside its workflow task. When
-- a worker dies after such a write but before Temporal recorded the task,
-- the task runs again; an Update that arrived meanwhile may now be handled
-- first and take the event number the lost write used. The event the
-- trajectory committed then supersedes the lost one: a row may be updated,
-- in place and only by a later write of the same number (a lost task
-- always started before the task that replaced it). Deletes stay refused.
CREATE OR REPLACE FUNCTION trajectory_events_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.trajectory_id = OLD.trajectory_id
        AND NEW.seq = OLD.seq AND NEW.at > OLD.at THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'trajectory_events is append-only: % refused', TG_OP;
END
$$;
