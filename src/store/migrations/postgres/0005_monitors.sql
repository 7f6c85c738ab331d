-- Never edit this file once released: add a later migration instead (see 0001_events.sql).
--
-- What `golive watch` keeps outside the audit log. Transitions, alerts, deliveries, silences
-- and actions are events in the hash chain; the results below are too many for it (1,000
-- monitors every 10 s is 8.6 million a day) and are pruned, which an append-only chain cannot
-- be. They are evidence of trends, not of who did what.
--
-- Raw results, kept 7 days: what windowed conditions are rebuilt from after a restart.
-- `at` is Unix milliseconds; `observed` the numeric metrics as canonical JSON.
CREATE TABLE monitor_results (
    checklist TEXT NOT NULL,
    monitor TEXT NOT NULL,
    at BIGINT NOT NULL,
    level TEXT NOT NULL,
    passed BIGINT NOT NULL,
    duration_ms BIGINT NOT NULL,
    observed TEXT NOT NULL
);
CREATE INDEX monitor_results_monitor ON monitor_results (checklist, monitor, at);
CREATE INDEX monitor_results_at ON monitor_results (at);

-- One row per monitor and hour, kept 90 days: the status page's uptime bars.
-- `hour` is Unix seconds / 3600.
CREATE TABLE monitor_hours (
    checklist TEXT NOT NULL,
    monitor TEXT NOT NULL,
    hour BIGINT NOT NULL,
    total BIGINT NOT NULL,
    passed BIGINT NOT NULL,
    warn BIGINT NOT NULL,
    crit BIGINT NOT NULL,
    duration_ms_sum BIGINT NOT NULL,
    duration_ms_max BIGINT NOT NULL,
    PRIMARY KEY (checklist, monitor, hour)
);
CREATE INDEX monitor_hours_hour ON monitor_hours (hour);

-- Which `golive watch` runs a checklist's monitors: one at a time, so that an event is
-- alerted once. `expires_at` is Unix milliseconds; the holder renews it while it runs.
CREATE TABLE watch_leases (
    checklist TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
