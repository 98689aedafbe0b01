-- Messaging channels (CONTRACT.md "Messaging channels"): a message goes by the first channel
-- of its order, and by the next one only after the current one reported `failed` or gave no
-- `sent` within the status timeout. One row per (event_id, kind) still: a citizen gets it once.
ALTER TABLE messages ADD COLUMN channels text[];          -- the order; NULL until first claimed
ALTER TABLE messages ADD COLUMN channel_index integer NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN template jsonb;           -- {"name", "values"} for templates
ALTER TABLE messages ADD COLUMN delivery_status text;     -- the channel's last report
ALTER TABLE messages ADD COLUMN status_deadline timestamptz;  -- 'accepted': `sent` due by then

ALTER TABLE messages DROP CONSTRAINT messages_kind_check;
ALTER TABLE messages ADD CONSTRAINT messages_kind_check
    CHECK (kind IN ('issued', 'near_turn', 'called', 'survey', 'verification', 'reply'));
-- accepted: the channel took it and reports its fate later (WhatsApp's status webhook)
ALTER TABLE messages DROP CONSTRAINT messages_status_check;
ALTER TABLE messages ADD CONSTRAINT messages_status_check
    CHECK (status IN ('pending', 'sending', 'accepted', 'sent', 'failed', 'skipped'));

CREATE INDEX messages_accepted ON messages (status_deadline) WHERE status = 'accepted';

-- Every hand-over of a message to a channel, with what the channel reported about it.
CREATE TABLE deliveries (
    id                  bigserial PRIMARY KEY,
    message_id          bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    channel             text NOT NULL,
    provider_message_id text,
    status              text NOT NULL,   -- accepted, sent, delivered, read, failed, timeout
    error               text,
    requested_at        timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (channel, provider_message_id)
);

CREATE INDEX deliveries_message ON deliveries (message_id);

-- Statuses as the channel's webhook reported them: one row per (message, status), so a
-- redelivered webhook changes nothing; kept even when it arrives before the API's answer.
CREATE TABLE channel_statuses (
    channel             text NOT NULL,
    provider_message_id text NOT NULL,
    status              text NOT NULL,
    error               text,
    reported_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (channel, provider_message_id, status)
);

-- Citizens' messages to us, by the channel's message id: a redelivered one is dropped.
CREATE TABLE inbound_messages (
    channel             text NOT NULL,
    provider_message_id text NOT NULL,
    phone               text NOT NULL,
    body                text NOT NULL,
    received_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (channel, provider_message_id)
);

CREATE INDEX inbound_messages_phone ON inbound_messages (phone, received_at);
CREATE INDEX contacts_phone ON contacts (phone, created_at);
