-- The W3C traceparent of the event a message was queued for, so the sender's lines and
-- spans for it belong to the ticket's trace (docs/observability.md: one ticket, one trace).
ALTER TABLE messages ADD COLUMN traceparent text;
