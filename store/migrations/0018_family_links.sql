-- The family's own page: one row per personal link a coach issued, with
-- the family's consent (its date and how it was given) and the link's
-- language. The token holds the row's id; a link works while its row is
-- not revoked, until it expires. Nothing personal is kept here: the
-- family's address, when the link was emailed, is in outbound_emails.
CREATE TABLE family_links (
    id              text PRIMARY KEY,
    trajectory_id   text NOT NULL,
    language        text NOT NULL,
    consent_on      date NOT NULL,
    consent_channel text NOT NULL CHECK (consent_channel IN ('in_person', 'phone', 'email', 'letter')),
    issued_by       text NOT NULL,
    issued_at       timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    emailed         boolean NOT NULL DEFAULT false,
    revoked_at      timestamptz,
    revoked_by      text,
    CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
);

-- At most one working link per trajectory: issuing another revokes it.
CREATE UNIQUE INDEX family_links_one_open ON family_links (trajectory_id) WHERE revoked_at IS NULL;
