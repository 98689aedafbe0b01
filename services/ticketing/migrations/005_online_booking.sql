-- Online booking (daring) without calo: phones proven by one-time SMS codes, rate limits
-- that hold across replicas, and appointments for a slot on a future day.

CREATE TABLE phone_verifications (
    id            uuid        PRIMARY KEY,
    site_id       text        NOT NULL REFERENCES sites (id),
    phone         text        NOT NULL,
    code_hash     text        NOT NULL,   -- sha256 of the code and the id; the code is not kept
    attempts      integer     NOT NULL DEFAULT 0,
    expires_at    timestamptz NOT NULL,
    confirmed_at  timestamptz,
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE INDEX phone_verifications_phone ON phone_verifications (site_id, phone, created_at);

-- fixed-window counters: key = what is limited (ip:…, phone:…), one row per window
CREATE TABLE rate_limits (
    key           text        NOT NULL,
    window_start  timestamptz NOT NULL,
    hits          integer     NOT NULL,
    PRIMARY KEY (key, window_start)
);

CREATE TABLE appointments (
    id            uuid        PRIMARY KEY,
    code          text        NOT NULL UNIQUE,   -- typed at the kiosk or read from the QR
    site_id       text        NOT NULL REFERENCES sites (id),
    service_id    text        NOT NULL,
    phone         text        NOT NULL,
    day           date        NOT NULL,
    slot_start    timestamptz NOT NULL,
    slot_end      timestamptz NOT NULL,
    status        text        NOT NULL DEFAULT 'booked'
                  CHECK (status IN ('booked', 'checked_in', 'cancelled')),
    ticket_id     uuid        REFERENCES tickets (id),
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    FOREIGN KEY (site_id, service_id) REFERENCES services (site_id, id)
);

CREATE INDEX appointments_slot ON appointments (site_id, service_id, slot_start)
    WHERE status <> 'cancelled';
CREATE INDEX appointments_phone ON appointments (site_id, phone, day) WHERE status = 'booked';

-- a ticket that came from an appointment (the fairness ledger says why it went first)
ALTER TABLE tickets ADD COLUMN appointment_id uuid;

-- one active online ticket per phone per service per day is checked with this
CREATE INDEX tickets_phone_day ON tickets (site_id, service_id, day, phone)
    WHERE phone IS NOT NULL AND status IN ('waiting', 'called');
