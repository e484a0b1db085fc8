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

-- The read model keeps the month of a birth for reports; the date itself
-- is sealed (the birth event's detail and the child in personal), and the
-- expected due date moves into personal. born_on and expected_due_date
-- stay only for rows the store has not sealed: those of trajectories
-- without a data key (written before 0007: a later migration's), and, for
-- a moment, the due dates of trajectories with one, which the worker seals
-- when it starts (store.SealClearFields; sealing needs the data key).
ALTER TABLE trajectories ADD COLUMN born_month date;
UPDATE trajectories SET born_month = date_trunc('month', born_on)::date WHERE born_on IS NOT NULL;
UPDATE trajectories t SET born_on = NULL
    WHERE born_on IS NOT NULL AND EXISTS (SELECT 1 FROM trajectory_keys k WHERE k.trajectory_id = t.id);

-- Handovers are counted per programme, month and service; which service a
-- family went to is sealed in its events only.
CREATE TABLE handover_counts (
    programme_id text    NOT NULL,
    month        date    NOT NULL CHECK (extract(day FROM month) = 1),
    service      text    NOT NULL,
    made         integer NOT NULL DEFAULT 0,
    acknowledged integer NOT NULL DEFAULT 0,
    PRIMARY KEY (programme_id, month, service)
);
INSERT INTO handover_counts (programme_id, month, service, made, acknowledged)
    SELECT t.programme_id, date_trunc('month', e.at AT TIME ZONE 'UTC')::date, e.detail->>'service',
        count(*) FILTER (WHERE e.kind = 'handover_requested'),
        count(*) FILTER (WHERE e.kind = 'handover_acknowledged')
    FROM trajectory_events e JOIN trajectories t ON t.id = e.trajectory_id
    WHERE e.kind IN ('handover_requested', 'handover_acknowledged') AND e.detail ? 'service'
    GROUP BY 1, 2, 3;

-- The clear copy of each event's detail keeps codes and months only (see
-- store.reportableDetail): a step's instants become their month, a
-- handover's service and a visit's or milestone's date go (the sealed
-- detail keeps them all). This is the one rewrite of the log there is: of
-- clear copies whose whole is sealed beside them, and of the events of
-- erased trajectories. Events of trajectories without a data key (before
-- 0007) hold everything in clear: a later migration's.
ALTER TABLE trajectory_events DISABLE TRIGGER trajectory_events_append_only;
UPDATE trajectory_events e SET detail = (
        SELECT coalesce(jsonb_object_agg(d.key, d.value), '{}'::jsonb) FROM jsonb_each(e.detail) d
        WHERE d.key IN ('step', 'late', 'milestone', 'handover', 'visit', 'coach', 'previous_coach', 'notice')
            OR (d.key = 'reason' AND e.kind IN ('closed', 'email_failed'))
            OR (d.key = 'kind' AND e.kind = 'email_failed')
            OR (d.key = 'done_at' AND e.kind = 'intake_done')
    ) || jsonb_strip_nulls(jsonb_build_object(
        'to', CASE WHEN e.detail->>'to' LIKE 'service:%' THEN 'service' ELSE e.detail->>'to' END,
        'step_due_month', substring(e.detail->>'step_due_at' FROM '^\d{4}-\d{2}'),
        'due_month', substring(e.detail->>'due_at' FROM '^\d{4}-\d{2}'),
        'next_visit_due_month', substring(e.detail->>'next_visit_due' FROM '^\d{4}-\d{2}')))
    WHERE e.detail <> '{}'::jsonb AND (e.sealed_detail IS NOT NULL
        OR EXISTS (SELECT 1 FROM erased_trajectories x WHERE x.trajectory_id = e.trajectory_id));
ALTER TABLE trajectory_events ENABLE TRIGGER trajectory_events_append_only;

-- An erased trajectory's read model stays as the erasure left it: a late
-- event (a write that was under way) is logged, and changes it no more.
ALTER TABLE trajectories ADD COLUMN erased boolean NOT NULL DEFAULT false;

-- A consultation's text is sealed under the data key of the trajectory it
-- became (the store seals it when the referral links them; the worker,
-- when it starts, those linked before: store.SealClearFields), and erased
-- with it.
ALTER TABLE consultations
    ADD COLUMN sealed_text bytea,
    ALTER COLUMN situation DROP NOT NULL,
    ALTER COLUMN advice DROP NOT NULL;

-- What an erasure clears in one transaction with the key (see
-- store.clearErasedSQL), done now for the trajectories erased before:
-- their read model's clear columns, the text of their consultations,
-- their emails' recipients, subjects, Message-IDs and keys, their place
-- in collective activities.
UPDATE trajectories t SET personal = NULL, family = NULL, reason = NULL, referrer_reference = NULL,
        children = '[]'::jsonb, born_on = NULL, expected_due_date = NULL, next_step = NULL, next_due_at = NULL,
        erased = true
    WHERE EXISTS (SELECT 1 FROM erased_trajectories x WHERE x.trajectory_id = t.id);
UPDATE consultations c SET situation = NULL, advice = NULL, sealed_text = NULL
    WHERE EXISTS (SELECT 1 FROM erased_trajectories x WHERE x.trajectory_id = c.trajectory_id);
UPDATE outbound_emails o SET key = r.erased_key, message_id = '', recipient = '', subject = ''
    FROM (SELECT m.key, x.trajectory_id || '/erased/' || row_number() OVER (PARTITION BY x.trajectory_id ORDER BY m.first_attempt_at, m.key) AS erased_key
        FROM outbound_emails m JOIN erased_trajectories x ON left(m.key, length(x.trajectory_id) + 1) = x.trajectory_id || '/') r
    WHERE o.key = r.key;
UPDATE collective_activities a SET trajectories = (
        SELECT coalesce(array_agg(id ORDER BY n), '{}') FROM unnest(a.trajectories) WITH ORDINALITY u(id, n)
        WHERE NOT EXISTS (SELECT 1 FROM erased_trajectories x WHERE x.trajectory_id = u.id))
    WHERE EXISTS (SELECT 1 FROM erased_trajectories x WHERE x.trajectory_id = ANY (a.trajectories));
