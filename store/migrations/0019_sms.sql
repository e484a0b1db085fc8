-- SMS to families go through the same ledger as emails, one row per
-- obligation and channel: an SMS's key ends in "/sms". Its recipient and
-- subject stay empty: the phone number is read from the sealed referral
-- when the message goes out and is never kept here. Its message_id is the
-- token in the URL the gateway posts delivery reports to: unguessable,
-- and nothing personal.
ALTER TABLE outbound_emails
    ADD COLUMN channel text NOT NULL DEFAULT 'email' CHECK (channel IN ('email', 'sms'));
CREATE UNIQUE INDEX outbound_emails_sms_token ON outbound_emails (message_id)
    WHERE channel = 'sms' AND message_id <> '';

-- The gateway's delivery reports, one row per report (Kannel sends one
-- when the SMSC accepts a message and one when the phone has it), by the
-- message's token. status is Kannel's report type: 1 delivered to the
-- phone, 2 not delivered, 4 queued at the SMSC, 8 accepted by the SMSC,
-- 16 refused by the SMSC.
CREATE TABLE sms_delivery_reports (
    id          bigserial PRIMARY KEY,
    token       text        NOT NULL,
    status      integer     NOT NULL,
    reported_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sms_delivery_reports_token ON sms_delivery_reports (token, reported_at);
