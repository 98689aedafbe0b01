-- Staff tokens follow the account (CONTRACT.md "Who may do what"): every request reads the
-- account's role, site, counters and active flag, so only the account is kept here.
--
-- What an admin changed through the API is never reverted by a site-file reload: the
-- fields it set are listed in api_fields and the loader leaves them alone.
ALTER TABLE staff ADD COLUMN api_fields text[] NOT NULL DEFAULT '{}';

-- Deployment-wide admins come from the deployment file (config/deployment.toml), not from
-- a site's file: they administer every site. An admin named in a site file has its site.
ALTER TABLE staff ADD COLUMN deployment_admin boolean NOT NULL DEFAULT false;
ALTER TABLE staff DROP CONSTRAINT IF EXISTS staff_source_check;
ALTER TABLE staff ADD CONSTRAINT staff_source_check
    CHECK (source IN ('config', 'admin', 'deployment'));

-- Wrong passwords slow down or block a username from one address only, with growing
-- delays; the right password from another address still logs in.
CREATE TABLE login_failures (
    username        text        NOT NULL,
    address         text        NOT NULL,
    failures        integer     NOT NULL,
    last_failure_at timestamptz NOT NULL,
    PRIMARY KEY (username, address)
);
