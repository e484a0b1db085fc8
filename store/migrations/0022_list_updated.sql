-- The list's updated_since filter and updated_at order: a partner's mirror
-- asks for what changed since its last pass, page by page on (updated_at, id),
-- within the caller's programmes.
CREATE INDEX trajectories_updated_idx ON trajectories (updated_at, id);
CREATE INDEX trajectories_programme_updated_idx ON trajectories (programme_id, updated_at, id);
-- The referrer filter, in referral order.
CREATE INDEX trajectories_referrer_idx ON trajectories (referrer_org, referred_at, id);
