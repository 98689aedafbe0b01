-- Service reports (services/ticketing/reports.py) read a site's tickets of a period of
-- site-local days. This index covers every column they read, so a month or a year of a busy
-- site is an index-only scan of that range rather than a walk over the heap.
CREATE INDEX tickets_report ON tickets (site_id, day)
    INCLUDE (service_id, counter_id, channel, status, outcome,
             issued_at, first_called_at, called_at, completed_at);

-- Transfers leave no trace on the ticket row once it is served in the next service; the
-- service-completed events in the outbox keep them. This partial index finds a period's
-- transfers of a site without reading the other events.
CREATE INDEX outbox_transfers ON outbox (site_id, created_at)
    WHERE topic = 'service-completed' AND payload LIKE '%"outcome":"transferred"%';
