-- The queue: sites and what they offer (loaded from config/sites/*.toml), staff, tickets.

CREATE TABLE sites (
    id              text PRIMARY KEY,
    name            text        NOT NULL,
    timezone        text        NOT NULL,
    address         text        NOT NULL DEFAULT '',
    always_open     boolean     NOT NULL DEFAULT false,
    config_version  integer     NOT NULL,
    config_digest   text        NOT NULL,
    loaded_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE agencies (
    site_id  text NOT NULL REFERENCES sites (id),
    id       text NOT NULL,
    name     text NOT NULL,
    active   boolean NOT NULL DEFAULT true,
    PRIMARY KEY (site_id, id)
);

CREATE TABLE services (
    site_id         text    NOT NULL REFERENCES sites (id),
    id              text    NOT NULL,
    agency_id       text    NOT NULL,
    name            text    NOT NULL,
    prefix          text    NOT NULL,
    target_minutes  integer NOT NULL,
    avg_service_s   integer NOT NULL,
    position        integer NOT NULL DEFAULT 0,
    active          boolean NOT NULL DEFAULT true,
    PRIMARY KEY (site_id, id),
    FOREIGN KEY (site_id, agency_id) REFERENCES agencies (site_id, id)
);

-- prefixes are unique among a site's active services (a retired service frees its letter)
CREATE UNIQUE INDEX services_prefix ON services (site_id, prefix) WHERE active;

CREATE TABLE counters (
    site_id     text    NOT NULL REFERENCES sites (id),
    id          text    NOT NULL,
    name        text    NOT NULL,
    service_ids text[]  NOT NULL,  -- in calling order
    position    integer NOT NULL DEFAULT 0,
    active      boolean NOT NULL DEFAULT true,
    PRIMARY KEY (site_id, id)
);

CREATE TABLE staff (
    username       text PRIMARY KEY,
    site_id        text    NOT NULL REFERENCES sites (id),
    role           text    NOT NULL CHECK (role IN ('operator', 'supervisor', 'admin')),
    counter_ids    text[]  NOT NULL DEFAULT '{}',
    password_hash  text    NOT NULL,
    active         boolean NOT NULL DEFAULT true
);

-- Daily numbering per service, in the site's own time zone: A-001 restarts each local day.
CREATE TABLE service_day_numbers (
    site_id     text    NOT NULL,
    service_id  text    NOT NULL,
    day         date    NOT NULL,
    last_number integer NOT NULL,
    PRIMARY KEY (site_id, service_id, day)
);

CREATE TABLE tickets (
    id            uuid        PRIMARY KEY,
    site_id       text        NOT NULL REFERENCES sites (id),
    service_id    text        NOT NULL,
    number        text        NOT NULL,
    day           date        NOT NULL,  -- the site's local day of issue
    priority      text        NOT NULL CHECK (priority IN ('regular', 'priority')),
    channel       text        NOT NULL CHECK (channel IN ('kiosk', 'online', 'mobile')),
    phone         text,                  -- E.164, only for SMS; never shown or published
    status        text        NOT NULL
                  CHECK (status IN ('waiting', 'called', 'served', 'no_show', 'cancelled')),
    outcome       text CHECK (outcome IN ('served', 'no_show', 'transferred', 'cancelled')),
    counter_id    text,
    call_count    integer     NOT NULL DEFAULT 0,
    issued_at     timestamptz NOT NULL,
    queued_at     timestamptz NOT NULL,  -- place in the queue: issue time, kept on transfer
    called_at     timestamptz,
    completed_at  timestamptz,
    first_called_at timestamptz,         -- for wait_s across recalls and transfers
    FOREIGN KEY (site_id, service_id) REFERENCES services (site_id, id)
);

-- call-next: the head of the waiting line of a site's services
CREATE INDEX tickets_waiting ON tickets (site_id, service_id, queued_at)
    WHERE status = 'waiting';
-- the ticket open at a counter
CREATE INDEX tickets_at_counter ON tickets (site_id, counter_id) WHERE status = 'called';
CREATE INDEX tickets_day ON tickets (site_id, day);
-- recent service times for the estimated wait
CREATE INDEX tickets_served ON tickets (site_id, service_id, completed_at)
    WHERE outcome = 'served';

-- A retried kiosk request (same Idempotency-Key) returns the first ticket.
CREATE TABLE idempotency_keys (
    site_id       text        NOT NULL,
    key           text        NOT NULL,
    request_hash  text        NOT NULL,
    ticket_id     uuid        NOT NULL REFERENCES tickets (id) DEFERRABLE INITIALLY DEFERRED,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, key)
);

-- the relay reads pending events in insertion order (per site that is also site_seq order)
CREATE INDEX outbox_pending ON outbox (id) WHERE published_at IS NULL;
