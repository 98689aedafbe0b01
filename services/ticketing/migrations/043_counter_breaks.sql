-- A counter's break (CONTRACT.md, counter tools: pause / resume): while paused_at is set the
-- counter calls nobody and does not count as staffed in the estimates; the reason (one of
-- the site's break reasons) is shown on the board and the supervisor console.
ALTER TABLE counters ADD COLUMN paused_at timestamptz;
ALTER TABLE counters ADD COLUMN paused_reason text;
ALTER TABLE counters ADD CONSTRAINT counters_pause_has_reason
    CHECK ((paused_at IS NULL) = (paused_reason IS NULL));
