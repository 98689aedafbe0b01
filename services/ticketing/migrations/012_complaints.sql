-- Complaints and suggestions (pengaduan, saran): filed by citizens, answered by the
-- site's supervisor; received → in_process → resolved, each step with its time.
CREATE TABLE complaints (
    id             uuid        PRIMARY KEY,
    site_id        text        NOT NULL REFERENCES sites (id),
    number         text        NOT NULL,  -- ADU-000123, per site: what the citizen quotes
    kind           text        NOT NULL CHECK (kind IN ('complaint', 'suggestion')),
    text           text        NOT NULL,
    ticket_id      uuid        REFERENCES tickets (id),
    service_id     text,
    agency_id      text,
    contact_phone  text,                  -- E.164; only ever shown masked
    status         text        NOT NULL DEFAULT 'received'
                   CHECK (status IN ('received', 'in_process', 'resolved')),
    received_at    timestamptz NOT NULL DEFAULT now(),
    in_process_at  timestamptz,
    resolved_at    timestamptz,
    client_key     text        NOT NULL   -- keyed hash of the client address, for the rate limit
);

CREATE UNIQUE INDEX complaints_number ON complaints (site_id, number);
CREATE INDEX complaints_site ON complaints (site_id, received_at);
CREATE INDEX complaints_resolved ON complaints (site_id, resolved_at) WHERE resolved_at IS NOT NULL;
CREATE INDEX complaints_client ON complaints (client_key, received_at);

CREATE TABLE complaint_answers (
    id            bigserial   PRIMARY KEY,
    complaint_id  uuid        NOT NULL REFERENCES complaints (id),
    at            timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor         text        NOT NULL,
    status        text        NOT NULL CHECK (status IN ('in_process', 'resolved')),
    text          text        NOT NULL
);

CREATE INDEX complaint_answers_complaint ON complaint_answers (complaint_id, at);

CREATE TABLE complaint_numbers (
    site_id      text    PRIMARY KEY,
    last_number  integer NOT NULL
);
