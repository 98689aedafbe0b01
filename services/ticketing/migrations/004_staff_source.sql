-- Staff accounts come from the site files (config) or from an admin through the API (admin);
-- reloading a site file only touches the accounts it owns.
ALTER TABLE staff ADD COLUMN source text NOT NULL DEFAULT 'config'
    CHECK (source IN ('config', 'admin'));
ALTER TABLE staff ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();
