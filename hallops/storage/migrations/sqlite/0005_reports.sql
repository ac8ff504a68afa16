-- Statistics roll-ups, kept briefings, work-group webhooks and their deliveries.

-- One row per closed service day, dimension (hall, queue, window, clerk, department, channel, hour) and key:
-- additive counters, and the day's waits and service times as sorted little-endian uint16 seconds, so that
-- medians and p90s over any number of days stay exact to the second. Built once per closed day (see
-- hallops/storage/reports.py); a day with a row in report_days is complete.
CREATE TABLE report_rollup (
    hall_id INTEGER NOT NULL REFERENCES halls(id),
    dim TEXT NOT NULL,
    service_day TEXT NOT NULL,
    key TEXT NOT NULL,
    issued INTEGER NOT NULL DEFAULT 0,
    served INTEGER NOT NULL DEFAULT 0,
    no_show INTEGER NOT NULL DEFAULT 0,
    cancelled INTEGER NOT NULL DEFAULT 0,
    expired INTEGER NOT NULL DEFAULT 0,
    waiting INTEGER NOT NULL DEFAULT 0,
    transferred INTEGER NOT NULL DEFAULT 0,
    transfers INTEGER NOT NULL DEFAULT 0,
    transfers_out INTEGER NOT NULL DEFAULT 0,
    within_target INTEGER NOT NULL DEFAULT 0,
    bundle INTEGER NOT NULL DEFAULT 0,
    single INTEGER NOT NULL DEFAULT 0,
    appointments INTEGER NOT NULL DEFAULT 0,
    appointments_kept INTEGER NOT NULL DEFAULT 0,
    appointments_missed INTEGER NOT NULL DEFAULT 0,
    priority INTEGER NOT NULL DEFAULT 0,
    wait_sum REAL NOT NULL DEFAULT 0,
    wait_max REAL,
    service_sum REAL NOT NULL DEFAULT 0,
    service_max REAL,
    waits BLOB NOT NULL,
    services BLOB NOT NULL,
    PRIMARY KEY (hall_id, dim, service_day, key)
);

CREATE TABLE report_days (
    hall_id INTEGER NOT NULL REFERENCES halls(id),
    service_day TEXT NOT NULL,
    tickets INTEGER NOT NULL,
    built_at REAL NOT NULL,
    PRIMARY KEY (hall_id, service_day)
) WITHOUT ROWID;

-- Per hall: when the daily briefing is generated (local time, after closing) and the address that links
-- in a published post point to.
CREATE TABLE report_settings (
    hall_id INTEGER PRIMARY KEY REFERENCES halls(id),
    daily_at TEXT NOT NULL DEFAULT '18:00',
    base_url TEXT NOT NULL DEFAULT ''
);

CREATE TABLE report_webhooks (
    id INTEGER PRIMARY KEY,
    hall_id INTEGER NOT NULL REFERENCES halls(id),
    kind TEXT NOT NULL CHECK (kind IN ('wecom', 'dingtalk')),
    label TEXT NOT NULL DEFAULT '',
    url TEXT NOT NULL,
    secret TEXT NOT NULL DEFAULT '',               -- DingTalk 加签 secret; WeCom keys live in the URL
    active INTEGER NOT NULL DEFAULT 1,
    created_at REAL NOT NULL
);

CREATE TABLE briefings (
    id INTEGER PRIMARY KEY,
    hall_id INTEGER NOT NULL REFERENCES halls(id),
    kind TEXT NOT NULL CHECK (kind IN ('daily', 'weekly', 'monthly')),
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    data TEXT NOT NULL,                            -- the figures as generated (JSON): a kept briefing does not drift
    generated_at REAL NOT NULL,
    generated_by TEXT NOT NULL,                    -- a user's name, or 'scheduler'
    annotation TEXT NOT NULL DEFAULT '',
    annotated_by TEXT,
    annotated_at REAL,
    published_at REAL,
    published_by TEXT,
    UNIQUE (hall_id, kind, period_start)
);
CREATE INDEX briefings_recent ON briefings (hall_id, generated_at);

-- One delivery per (publication, webhook): retried with backoff until sent or given up; a failed one stays
-- here, shown on the manager's page, until someone retries it.
CREATE TABLE briefing_deliveries (
    id INTEGER PRIMARY KEY,
    briefing_id INTEGER NOT NULL REFERENCES briefings(id),
    webhook_id INTEGER NOT NULL REFERENCES report_webhooks(id),
    state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL,
    last_error TEXT,
    message TEXT NOT NULL,                         -- the JSON body posted, fixed at publication
    created_at REAL NOT NULL,
    sent_at REAL
);
CREATE INDEX briefing_deliveries_due ON briefing_deliveries (state, next_attempt_at);
CREATE INDEX briefing_deliveries_of ON briefing_deliveries (briefing_id);

CREATE TABLE briefing_attempts (
    id INTEGER PRIMARY KEY,
    delivery_id INTEGER NOT NULL REFERENCES briefing_deliveries(id),
    at REAL NOT NULL,
    ok INTEGER NOT NULL,
    http_status INTEGER,
    error TEXT
);
CREATE INDEX briefing_attempts_of ON briefing_attempts (delivery_id);

-- Transfers out of each window are read from the day's ticket.transferred events: a partial index keeps
-- that read small without slowing the other event inserts.
CREATE INDEX events_transfers ON events (hall_id, at) WHERE type = 'ticket.transferred';
