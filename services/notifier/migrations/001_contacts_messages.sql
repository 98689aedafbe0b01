-- The notifier's own schema: who to text, which events were handled, what was (to be) sent.

CREATE TABLE contacts (
    ticket_id       uuid PRIMARY KEY,
    site_id         text NOT NULL,
    site_name       text NOT NULL,
    phone           text NOT NULL,
    ticket_number   text NOT NULL,
    service_name    text NOT NULL,
    issued_event_id uuid NOT NULL,
    near_turn_sent  boolean NOT NULL DEFAULT false,
    called          boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- Every event handled, so a redelivered or republished event changes nothing.
CREATE TABLE processed_events (
    event_id     uuid PRIMARY KEY,
    processed_at timestamptz NOT NULL DEFAULT now()
);

-- Tickets seen near the head of a queue (waiting_ahead <= 3) before their ticket-issued
-- was handled: the three topics are separate partitions, so that order is not guaranteed.
CREATE TABLE early_near_turns (
    ticket_id     uuid PRIMARY KEY,
    waiting_ahead integer NOT NULL,
    seen_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE messages (
    id              bigserial PRIMARY KEY,
    event_id        uuid NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('issued', 'near_turn', 'called', 'survey')),
    ticket_id       uuid NOT NULL,
    site_id         text NOT NULL,
    phone           text NOT NULL,
    text            text NOT NULL,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    claimed_at      timestamptz,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    UNIQUE (event_id, kind)
);

CREATE INDEX messages_due ON messages (next_attempt_at) WHERE status = 'pending';
CREATE INDEX messages_sending ON messages (claimed_at) WHERE status = 'sending';
CREATE INDEX messages_ticket ON messages (ticket_id);
