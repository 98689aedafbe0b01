-- One phone gets at most `messages.issued_per_phone_per_day` `issued` SMS per site per
-- site-local day (CONTRACT.md "Cost and abuse limits"). The count lives here, raised in the
-- transaction that records the message, so concurrent handlers and restarts agree.
CREATE TABLE issued_counts (
    site_id text    NOT NULL,
    phone   text    NOT NULL,
    day     date    NOT NULL,
    issued  integer NOT NULL,
    PRIMARY KEY (site_id, phone, day)
);

CREATE INDEX issued_counts_day ON issued_counts (day);

-- A message not sent on purpose (past the cap) stays in the history, with why.
ALTER TABLE messages ADD COLUMN skipped_reason text;
ALTER TABLE messages DROP CONSTRAINT messages_status_check;
ALTER TABLE messages ADD CONSTRAINT messages_status_check
    CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'skipped'));
