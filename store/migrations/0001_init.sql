-- The read model of each trajectory: one row, rewritten by every event.
-- family, reason and referrer_reference are personal data (staff need them);
-- every other column is safe to list.
CREATE TABLE trajectories (
    id                 text PRIMARY KEY,
    programme_id       text        NOT NULL,
    referrer_org       text        NOT NULL,
    referrer_reference text,
    family             jsonb,
    reason             text,
    phase              text        NOT NULL,
    coach_id           text,
    next_step          text,
    next_due_at        timestamptz,
    escalated          boolean     NOT NULL DEFAULT false,
    close_reason       text,
    referred_at        timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    -- version is the seq of the last event applied: an older event never
    -- overwrites a newer one.
    version            bigint      NOT NULL
);

-- Lists are ordered by (referred_at, id) and filtered by these columns.
CREATE INDEX trajectories_list_idx ON trajectories (referred_at, id);
CREATE INDEX trajectories_programme_idx ON trajectories (programme_id, referred_at, id);
CREATE INDEX trajectories_coach_idx ON trajectories (coach_id, referred_at, id) WHERE coach_id IS NOT NULL;
CREATE INDEX trajectories_phase_idx ON trajectories (phase, referred_at, id);
CREATE INDEX trajectories_due_idx ON trajectories (next_due_at) WHERE phase <> 'closed';

-- The append-only event log. (trajectory_id, seq) makes a retried write a no-op.
CREATE TABLE trajectory_events (
    trajectory_id text        NOT NULL,
    seq           bigint      NOT NULL CHECK (seq > 0),
    kind          text        NOT NULL,
    actor         text        NOT NULL,
    at            timestamptz NOT NULL,
    detail        jsonb       NOT NULL DEFAULT '{}',
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (trajectory_id, seq)
);

CREATE FUNCTION trajectory_events_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'trajectory_events is append-only: % refused', TG_OP;
END
$$;

CREATE TRIGGER trajectory_events_append_only
    BEFORE UPDATE OR DELETE ON trajectory_events
    FOR EACH ROW EXECUTE FUNCTION trajectory_events_refuse_change();

CREATE TRIGGER trajectory_events_no_truncate
    BEFORE TRUNCATE ON trajectory_events
    FOR EACH STATEMENT EXECUTE FUNCTION trajectory_events_refuse_change();

-- The idempotency ledger of outgoing email: a retried activity finds the
-- key and does not send the same email twice.
CREATE TABLE outbound_emails (
    key              text PRIMARY KEY,
    message_id       text        NOT NULL,
    recipient        text        NOT NULL,
    subject          text        NOT NULL,
    status           text        NOT NULL CHECK (status IN ('sending', 'sent')),
    attempts         integer     NOT NULL,
    first_attempt_at timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz
);
