-- A ticket's own ticket-called / service-completed consumed before its ticket-issued (the
-- three topics are separate partitions: after an outage the backlog of one topic can be read
-- before another's). Kept for a day; replayed when the ticket-issued with a contact arrives.
CREATE TABLE early_events (
    event_id    uuid PRIMARY KEY,
    ticket_id   uuid NOT NULL,
    occurred_at timestamptz NOT NULL,
    sequence    bigint,
    event       jsonb NOT NULL,
    seen_at     timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX early_events_ticket ON early_events (ticket_id);
CREATE INDEX early_events_seen ON early_events (seen_at);
CREATE INDEX early_near_turns_seen ON early_near_turns (seen_at);

-- When the ticket was served: a ticket-called consumed after that (older, from another
-- topic's backlog) is stale and sends nothing.
ALTER TABLE contacts ADD COLUMN served_at timestamptz;
