-- Versions 9 to 11 were never used (work done in parallel kept numbers of
-- its own); the gap stays, so that no database sees a version renumbered.
-- Co-workers beside the coach may see and act
-- on a trajectory, so the read model lists their ids; a referral that
-- followed an anonymous consultation keeps its id.
ALTER TABLE trajectories
    ADD COLUMN co_workers text[] NOT NULL DEFAULT '{}',
    ADD COLUMN consultation_id text;
CREATE INDEX trajectories_co_workers_idx ON trajectories USING gin (co_workers);

-- An anonymous consultation: a partner or a tandem asks the team about a
-- situation before any referral. It holds no personal data: the situation
-- and the advice, in words that name nobody. trajectory_id is set when it
-- became a referral with the family's consent.
CREATE TABLE consultations (
    id            text PRIMARY KEY,
    programme_id  text        NOT NULL,
    recorded_by   text        NOT NULL,
    organisation  text,
    situation     text        NOT NULL,
    advice        text        NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    trajectory_id text,
    referred_at   timestamptz
);
CREATE INDEX consultations_programme_idx ON consultations (programme_id, recorded_at);

-- A collective activity of a team (a group session in the Huis van het
-- Kind, an outing): which of its trajectories took part. Each trajectory
-- gets an attendance event through its workflow.
CREATE TABLE collective_activities (
    id           text PRIMARY KEY,
    programme_id text        NOT NULL,
    kind         text        NOT NULL,
    held_on      date        NOT NULL,
    recorded_by  text        NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    trajectories text[]      NOT NULL
);
CREATE INDEX collective_activities_programme_idx ON collective_activities (programme_id, held_on);
