-- The service standard a citizen sees before queueing (requirements, official cost,
-- completion time), from the site files' [services.standard]; see shared/sites.py.
ALTER TABLE services ADD COLUMN standard jsonb NOT NULL DEFAULT '{}';
