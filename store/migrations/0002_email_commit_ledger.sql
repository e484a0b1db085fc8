-- The email ledger now follows each email through the SMTP transaction, so
-- that a worker killed at any moment never causes a second copy:
--   pending      recorded; the mail server has not been asked to accept it,
--                or a try failed for certain (server down, refusal before the end);
--   committing   the final "." of the message is about to go out: from here
--                the server may have accepted it, and nobody may know;
--   sent         the server said it accepted the message;
--   unconfirmed  a retry found the email committing: it is treated as sent and
--                never sent again, and stays listed here for an operator to
--                check against the mail server's log.
-- A row left 'sending' by the previous version may or may not have gone
-- out; that version resent such rows, so they become 'pending' and keep
-- that behaviour once.
ALTER TABLE outbound_emails DROP CONSTRAINT outbound_emails_status_check;
UPDATE outbound_emails SET status = 'pending' WHERE status = 'sending';
ALTER TABLE outbound_emails
    ADD CONSTRAINT outbound_emails_status_check
        CHECK (status IN ('pending', 'committing', 'sent', 'unconfirmed')),
    -- When the last attempt was about to commit, and when the row last changed.
    ADD COLUMN committing_at timestamptz,
    ADD COLUMN updated_at    timestamptz NOT NULL DEFAULT now();

-- What an operator checks: the emails whose delivery nobody confirmed.
CREATE INDEX outbound_emails_in_doubt_idx ON outbound_emails (updated_at)
    WHERE status IN ('committing', 'unconfirmed');
