-- The service standards of issue "queue rules": hours, quotas, fair priority, no-show
-- returns, supervisor overrides and the audit log of every supervisor/admin action.

-- The site's calendar (hours, closed dates, mobile) and a mobile MPP's schedule, as
-- validated by shared/sites.py; each service's rules likewise.
ALTER TABLE sites ADD COLUMN info jsonb NOT NULL DEFAULT '{}';
ALTER TABLE sites ADD COLUMN schedule jsonb NOT NULL DEFAULT '[]';
ALTER TABLE services ADD COLUMN rules jsonb NOT NULL DEFAULT '{}';
ALTER TABLE counters ADD COLUMN call_order text NOT NULL DEFAULT 'longest_wait'
    CHECK (call_order IN ('longest_wait', 'configured'));
-- a counter that called in the last half hour counts as open for the estimated wait
ALTER TABLE counters ADD COLUMN last_active_at timestamptz;

-- tickets issued per channel today, for the daily quota (kiosk and online apart or together)
ALTER TABLE service_day_numbers ADD COLUMN issued_kiosk integer NOT NULL DEFAULT 0;
ALTER TABLE service_day_numbers ADD COLUMN issued_online integer NOT NULL DEFAULT 0;
ALTER TABLE service_day_numbers ADD COLUMN issued_mobile integer NOT NULL DEFAULT 0;

-- priority calls in a row per service: after priority_ratio of them, one regular
CREATE TABLE service_call_streaks (
    site_id         text    NOT NULL,
    service_id      text    NOT NULL,
    priority_streak integer NOT NULL DEFAULT 0,
    PRIMARY KEY (site_id, service_id)
);

-- a supervisor's decisions for one day: close a service now, change today's quota
CREATE TABLE service_day_overrides (
    site_id     text        NOT NULL,
    service_id  text        NOT NULL,
    day         date        NOT NULL,
    closed      boolean     NOT NULL DEFAULT false,
    quota       integer,
    updated_by  text        NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, service_id, day)
);

-- a no-show who came back within the grace period
ALTER TABLE tickets ADD COLUMN returned_at timestamptz;

CREATE TABLE audit_log (
    id       bigserial   PRIMARY KEY,
    at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    site_id  text,
    actor    text        NOT NULL,
    role     text        NOT NULL,
    action   text        NOT NULL,
    target   text        NOT NULL,
    before   jsonb,
    after    jsonb
);

CREATE INDEX audit_log_site ON audit_log (site_id, at);

-- load every site again so the new columns get their values from the files
UPDATE sites SET config_digest = '';
