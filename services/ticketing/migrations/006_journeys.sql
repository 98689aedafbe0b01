-- One visit across agencies: a ticket may carry the services still to visit after the
-- current one, in order. Completing a step queues the ticket in the next service, keeping
-- its place by original issue time (queued_at).
ALTER TABLE tickets ADD COLUMN journey text[] NOT NULL DEFAULT '{}';
