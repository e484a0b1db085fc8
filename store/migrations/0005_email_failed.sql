-- Supervisors find the trajectories one of whose emails failed for good
-- (a bounced handover, an unknown coach): the workflow carries on, and the
-- read model says so. Few trajectories have it, so the index is partial.
ALTER TABLE trajectories
    ADD COLUMN email_failed boolean NOT NULL DEFAULT false;
CREATE INDEX trajectories_email_failed ON trajectories (referred_at, id) WHERE email_failed;
