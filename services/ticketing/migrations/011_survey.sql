-- The citizen satisfaction survey (SKM, PermenPANRB 14/2017): one response per served
-- ticket, nine elements answered 1–4, free text. The service, agency and local day are
-- copied from the ticket so the IKM of a period needs no join.
CREATE TABLE survey_responses (
    ticket_id     uuid        PRIMARY KEY REFERENCES tickets (id),
    site_id       text        NOT NULL REFERENCES sites (id),
    service_id    text        NOT NULL,
    agency_id     text        NOT NULL,
    counter_id    text,
    day           date        NOT NULL,  -- the ticket's site-local day
    u1 smallint NOT NULL CHECK (u1 BETWEEN 1 AND 4),
    u2 smallint NOT NULL CHECK (u2 BETWEEN 1 AND 4),
    u3 smallint NOT NULL CHECK (u3 BETWEEN 1 AND 4),
    u4 smallint NOT NULL CHECK (u4 BETWEEN 1 AND 4),
    u5 smallint NOT NULL CHECK (u5 BETWEEN 1 AND 4),
    u6 smallint NOT NULL CHECK (u6 BETWEEN 1 AND 4),
    u7 smallint NOT NULL CHECK (u7 BETWEEN 1 AND 4),
    u8 smallint NOT NULL CHECK (u8 BETWEEN 1 AND 4),
    u9 smallint NOT NULL CHECK (u9 BETWEEN 1 AND 4),
    comment       text        NOT NULL DEFAULT '',
    signed        boolean     NOT NULL,  -- came through a signed link
    submitted_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX survey_responses_period ON survey_responses (site_id, day)
    INCLUDE (service_id, agency_id, counter_id, u1, u2, u3, u4, u5, u6, u7, u8, u9);
