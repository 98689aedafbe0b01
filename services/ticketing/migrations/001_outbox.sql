-- The transactional outbox: every state change writes its event here in the same
-- transaction; the relay (services/ticketing/relay.py) publishes rows to Kafka in
-- site_seq order per site and marks them published.

-- One row per site: the last sequence number handed out. Taking it with UPDATE locks
-- the row until commit, so site_seq order is commit order per site, without gaps.
CREATE TABLE site_event_sequences (
    site_id   text PRIMARY KEY,
    last_seq  bigint NOT NULL DEFAULT 0
);

CREATE TABLE outbox (
    id            bigserial PRIMARY KEY,
    site_id       text        NOT NULL,
    site_seq      bigint      NOT NULL,
    topic         text        NOT NULL,
    event_id      uuid        NOT NULL UNIQUE,
    payload       text        NOT NULL,  -- the exact JSON bytes published (not jsonb: keeps key order)
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    published_at  timestamptz,
    UNIQUE (site_id, site_seq)
);

CREATE INDEX outbox_unpublished ON outbox (site_id, site_seq) WHERE published_at IS NULL;
