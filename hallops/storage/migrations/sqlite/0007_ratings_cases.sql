-- The rating pad's device role: widen api_tokens' role CHECK in place (SQLite cannot alter a CHECK; rebuilding
-- the table would trip the foreign keys of kiosk printers and print jobs). Every stored row already satisfies
-- the wider CHECK, which is the case SQLite's documentation allows for editing the schema text.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(sql, '''kiosk'', ''display'')', '''kiosk'', ''display'', ''rating_pad'')')
WHERE type = 'table' AND name = 'api_tokens';
PRAGMA writable_schema = RESET;

-- 好差评 ratings and their follow-up, consultation/complaint cases, and the working-day calendar (issue 12).
-- Dates of deadlines are local dates 'YYYY-MM-DD' (inclusive); due_at is the instant the due day ends.

-- A hall's own working-day calendar in front of the chinesecalendar package (hallops/domain/calendar.py):
-- a day worked or not, and the years the hall has entered completely (deadlines into them are settled).
CREATE TABLE calendar_days (
    hall_id INTEGER NOT NULL REFERENCES halls(id),
    day TEXT NOT NULL,
    workday INTEGER NOT NULL CHECK (workday IN (0, 1)),
    note TEXT NOT NULL DEFAULT '',
    updated_at REAL NOT NULL,
    PRIMARY KEY (hall_id, day)
);
CREATE TABLE calendar_years (
    hall_id INTEGER NOT NULL REFERENCES halls(id),
    year INTEGER NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    confirmed_at REAL NOT NULL,
    PRIMARY KEY (hall_id, year)
);

-- Deadlines, time limits, the daily scan's hour and the province's endpoint: one JSON object per hall
-- (the keys and defaults are in storage/ratings.py DEFAULT_SETTINGS).
CREATE TABLE quality_settings (
    hall_id INTEGER PRIMARY KEY REFERENCES halls(id),
    settings TEXT NOT NULL,
    updated_at REAL NOT NULL
);

-- 部门负责人: a bad rating goes to the clerk who served and the head of their department.
CREATE TABLE department_heads (
    department_id INTEGER PRIMARY KEY REFERENCES departments(id),
    user_id INTEGER NOT NULL REFERENCES users(id)
);

-- 办件编号: the province's case number of a visit (per item where one ticket handled several), entered
-- when the clerk finishes; the key under which ratings are reported upward.
CREATE TABLE visit_case_numbers (
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    item_code TEXT NOT NULL DEFAULT '',
    case_number TEXT NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (ticket_id, item_code)
);

-- One row per rated visit (item_code '') or item: the level that counts in reports ('unrated' when the time
-- ran out, 'voided' after an upheld appeal) and the level the citizen gave.
CREATE TABLE ratings (
    id INTEGER PRIMARY KEY,
    hall_id INTEGER NOT NULL REFERENCES halls(id),
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    item_code TEXT NOT NULL DEFAULT '',
    level TEXT NOT NULL CHECK (level IN ('very_satisfied', 'satisfied', 'basic', 'dissatisfied',
                                         'very_dissatisfied', 'unrated', 'voided')),
    given_level TEXT,
    indicators TEXT NOT NULL DEFAULT '{}',
    reasons TEXT NOT NULL DEFAULT '[]',
    comment TEXT NOT NULL DEFAULT '',
    channel TEXT NOT NULL CHECK (channel IN ('pad', 'phone', 'none')),
    window_id INTEGER REFERENCES windows(id),
    clerk_user_id INTEGER REFERENCES users(id),
    clerk_name TEXT NOT NULL DEFAULT '',
    department_id INTEGER REFERENCES departments(id),
    queue_id INTEGER REFERENCES queues(id),
    service_day TEXT NOT NULL,
    case_number TEXT NOT NULL DEFAULT '',
    visit_ended_at REAL NOT NULL,
    created_at REAL NOT NULL,
    UNIQUE (ticket_id, item_code)
);
CREATE INDEX ratings_hall_time ON ratings (hall_id, created_at);

CREATE TABLE followups (
    id INTEGER PRIMARY KEY,
    hall_id INTEGER NOT NULL REFERENCES halls(id),
    rating_id INTEGER NOT NULL UNIQUE REFERENCES ratings(id),
    status TEXT NOT NULL CHECK (status IN ('open', 'verified', 'rectified', 'answered', 'closed', 'appealed',
                                           'voided')),
    appealed INTEGER NOT NULL DEFAULT 0,
    before_appeal TEXT,
    clerk_user_id INTEGER REFERENCES users(id),
    head_user_id INTEGER REFERENCES users(id),
    department_id INTEGER REFERENCES departments(id),
    window_id INTEGER REFERENCES windows(id),
    appellant_user_id INTEGER REFERENCES users(id),
    answer_way TEXT NOT NULL DEFAULT '',
    answer_result TEXT NOT NULL DEFAULT '',
    received_day TEXT NOT NULL,
    due_day TEXT NOT NULL,
    due_at REAL NOT NULL,
    provisional INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    closed_at REAL
);
CREATE INDEX followups_open ON followups (hall_id, status, due_day);

CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    hall_id INTEGER NOT NULL REFERENCES halls(id),
    ref TEXT NOT NULL DEFAULT '',                  -- the source's own number (12345 工单号 …)
    source TEXT NOT NULL CHECK (source IN ('hotline', '12345', 'supervision', 'counter', 'online')),
    kind TEXT NOT NULL CHECK (kind IN ('consultation', 'complex')),
    subject TEXT NOT NULL,
    content TEXT NOT NULL DEFAULT '',
    citizen_name TEXT NOT NULL DEFAULT '',
    citizen_phone TEXT NOT NULL DEFAULT '',
    department_id INTEGER REFERENCES departments(id),
    window_id INTEGER REFERENCES windows(id),
    assignee_user_id INTEGER REFERENCES users(id),
    assignee_name TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('received', 'assigned', 'in_progress', 'replied', 'closed')),
    extension_pending INTEGER NOT NULL DEFAULT 0,
    extension_days INTEGER NOT NULL DEFAULT 0,
    extensions INTEGER NOT NULL DEFAULT 0,
    reminders INTEGER NOT NULL DEFAULT 0,
    reply TEXT NOT NULL DEFAULT '',
    received_day TEXT NOT NULL,
    due_day TEXT NOT NULL,
    due_at REAL NOT NULL,
    provisional INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    created_by_name TEXT NOT NULL DEFAULT '',
    updated_at REAL NOT NULL,
    replied_at REAL,
    closed_at REAL
);
CREATE UNIQUE INDEX cases_ref ON cases (hall_id, source, ref) WHERE ref <> '';
CREATE INDEX cases_open ON cases (hall_id, status, due_day);

-- Every step of a case or a follow-up: who, when, from what to what, and why.
CREATE TABLE work_log (
    id INTEGER PRIMARY KEY,
    hall_id INTEGER NOT NULL REFERENCES halls(id),
    subject TEXT NOT NULL CHECK (subject IN ('case', 'followup')),
    subject_id INTEGER NOT NULL,
    at REAL NOT NULL,
    user_id INTEGER REFERENCES users(id),
    actor_name TEXT NOT NULL,
    action TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT,
    note TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX work_log_subject ON work_log (subject, subject_id, at);

-- Messages that leave the server: ratings and follow-ups to the province's 好差评 system, the daily scan and
-- bad ratings to the work group's robots. Claimed under a lease, posted outside any transaction, retried.
CREATE TABLE quality_outbox (
    id INTEGER PRIMARY KEY,
    hall_id INTEGER NOT NULL REFERENCES halls(id),
    target TEXT NOT NULL CHECK (target IN ('province', 'webhook')),
    webhook_id INTEGER,
    kind TEXT NOT NULL,                            -- rating | followup | scan | bad_rating
    subject_id INTEGER,
    case_number TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL,
    lease_until REAL NOT NULL DEFAULT 0,
    http_status INTEGER,
    last_error TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    delivered_at REAL
);
CREATE INDEX quality_outbox_due ON quality_outbox (state, next_at);

-- The daily scan, once per hall and working day.
CREATE TABLE scan_runs (
    hall_id INTEGER NOT NULL REFERENCES halls(id),
    day TEXT NOT NULL,
    at REAL NOT NULL,
    result TEXT NOT NULL,
    PRIMARY KEY (hall_id, day)
);
