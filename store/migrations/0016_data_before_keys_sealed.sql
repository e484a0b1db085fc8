-- What releases before data keys (migration 0007) wrote stays in clear
-- until it is sealed: the read model's referrer reference, family, reason,
-- children, expected due date and birth date, and each event's whole
-- detail. The log of a release between 0014 and 0015 names events by
-- their plain cause (an email's key holds the instant its step is due).
-- Sealing needs each trajectory's data key, which SQL cannot reach: the
-- worker does it when it starts (store.SealClearFields), trajectory by
-- trajectory, making the key of those that have none. These indexes hold
-- what is left to do (and the events of erased trajectories, whose clear
-- detail is cut below), so that the worker's look costs little once
-- everything is sealed; store/sealold.go repeats their predicates.
CREATE INDEX trajectories_clear_idx ON trajectories (id)
    WHERE referrer_reference IS NOT NULL OR family IS NOT NULL OR reason IS NOT NULL
        OR children <> '[]'::jsonb OR expected_due_date IS NOT NULL OR born_on IS NOT NULL;
CREATE INDEX trajectory_events_clear_idx ON trajectory_events (trajectory_id)
    WHERE (sealed_detail IS NULL AND detail <> '{}'::jsonb)
        OR (cause <> 'referred' AND cause NOT LIKE 'k/%' AND cause NOT LIKE 'seq/%');

-- A trajectory erased after 0015 whose events were written before data
-- keys kept their whole detail in clear (an erasure does not rewrite the
-- log), and one erased with plain causes kept them. Their data key is
-- gone, so nothing is sealed: the clear detail is cut to the codes and
-- months it keeps since 0015 (store.reportableDetail; months already cut
-- stay), and a plain cause goes (a late event of an erased trajectory is
-- looked up by its number). The trigger is off for this statement only,
-- as in 0015: see docs/design/event-log.md.
ALTER TABLE trajectory_events DISABLE TRIGGER trajectory_events_append_only;
UPDATE trajectory_events e SET
    detail = CASE WHEN e.sealed_detail IS NOT NULL OR e.detail = '{}'::jsonb THEN e.detail ELSE (
        SELECT coalesce(jsonb_object_agg(d.key, d.value), '{}'::jsonb) FROM jsonb_each(e.detail) d
        WHERE d.key IN ('step', 'late', 'milestone', 'handover', 'visit', 'coach', 'previous_coach', 'notice',
                'step_due_month', 'due_month', 'next_visit_due_month')
            OR (d.key = 'reason' AND e.kind IN ('closed', 'email_failed'))
            OR (d.key = 'kind' AND e.kind = 'email_failed')
            OR (d.key = 'done_at' AND e.kind = 'intake_done')
        ) || jsonb_strip_nulls(jsonb_build_object(
            'to', CASE WHEN e.detail->>'to' LIKE 'service:%' THEN 'service' ELSE e.detail->>'to' END,
            'step_due_month', substring(e.detail->>'step_due_at' FROM '^\d{4}-\d{2}'),
            'due_month', substring(e.detail->>'due_at' FROM '^\d{4}-\d{2}'),
            'next_visit_due_month', substring(e.detail->>'next_visit_due' FROM '^\d{4}-\d{2}')))
        END,
    cause = CASE WHEN e.cause <> 'referred' AND e.cause NOT LIKE 'k/%' AND e.cause NOT LIKE 'seq/%' THEN NULL ELSE e.cause END
    WHERE ((e.sealed_detail IS NULL AND e.detail <> '{}'::jsonb)
            OR (e.cause <> 'referred' AND e.cause NOT LIKE 'k/%' AND e.cause NOT LIKE 'seq/%'))
        AND EXISTS (SELECT 1 FROM erased_trajectories x WHERE x.trajectory_id = e.trajectory_id);
ALTER TABLE trajectory_events ENABLE TRIGGER trajectory_events_append_only;
