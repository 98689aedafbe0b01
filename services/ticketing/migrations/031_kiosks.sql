-- Kiosks are enrolled devices (CONTRACT.md "Who may do what"): a supervisor enrols one and
-- gets its token once; only a hash of the token is kept. A revoked kiosk keeps its row (the
-- audit log names it) and its token stops working at once.
CREATE TABLE kiosks (
    id           uuid        PRIMARY KEY,
    site_id      text        NOT NULL REFERENCES sites (id),
    name         text        NOT NULL,
    token_hash   text        NOT NULL UNIQUE,  -- sha256 of the token (256 random bits)
    enrolled_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    enrolled_by  text        NOT NULL,
    revoked_at   timestamptz,
    revoked_by   text
);

CREATE INDEX kiosks_site ON kiosks (site_id, enrolled_at);

-- Who made the first request of an Idempotency-Key (a keyed hash of the kiosk or of the
-- client address): a replay returns the ticket's key only to that caller.
ALTER TABLE idempotency_keys ADD COLUMN requester text;

-- The per-address kiosk limit is gone (enrolled kiosks have their own); site rows stored
-- before keep no trace of it, so they still validate without a reload.
UPDATE sites SET info = info #- '{online,kiosk_per_ip_per_minute}';
