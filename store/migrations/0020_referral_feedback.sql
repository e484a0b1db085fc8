-- Feedback to the partner that referred a family: one row per event
-- posted to the partner's webhook (a status of a referral), with how its
-- delivery went. Ids, codes and instants only; nothing of the family.
CREATE TABLE referral_webhook_deliveries (
    event_id         text PRIMARY KEY,
    trajectory_id    text        NOT NULL,
    organisation     text        NOT NULL,
    status           text        NOT NULL,
    attempts         integer     NOT NULL DEFAULT 0,
    last_status_code integer,
    last_attempt_at  timestamptz,
    delivered_at     timestamptz
);

CREATE INDEX referral_webhook_deliveries_trajectory_idx ON referral_webhook_deliveries (trajectory_id);

