-- Patrols (巡查) and their checklists, findings (问题) tracked to the fix (整改), alert rules and the alert log.
-- Photos live on disk beside the database; only their metadata is here.

-- A hall's opening hours and its daily patrol quota. No row: the defaults (see storage/patrols.py).
CREATE TABLE patrol_settings (
    hall_id INTEGER PRIMARY KEY REFERENCES halls(id),
    opening_hours TEXT NOT NULL DEFAULT '09:00-12:00,13:00-17:00',
    weekdays TEXT NOT NULL DEFAULT '1,2,3,4,5',    -- ISO weekdays the hall opens (1 = Monday)
    full_quota INTEGER NOT NULL DEFAULT 6,         -- 全面巡查 a day
    spot_quota INTEGER NOT NULL DEFAULT 4,         -- 重点窗口抽查 a day
    grace_minutes INTEGER NOT NULL DEFAULT 30      -- a patrol may run this late before it counts as behind
);

-- The checklist a patrol walks, per hall. A hall with no rows gets the defaults when its first patrol starts.
CREATE TABLE checklist_items (
    id INTEGER PRIMARY KEY,
    hall_id INTEGER NOT NULL REFERENCES halls(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    position INTEGER NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    UNIQUE (hall_id, code)
);

CREATE TABLE patrols (
    id INTEGER PRIMARY KEY,
    hall_id INTEGER NOT NULL REFERENCES halls(id),
    kind TEXT NOT NULL CHECK (kind IN ('full', 'spot')),
    service_day TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'done', 'cancelled')),
    window_id INTEGER REFERENCES windows(id),      -- the key window of a spot check
    items TEXT NOT NULL,                           -- the checklist codes at start, JSON array, in order
    inspector_user_id INTEGER REFERENCES users(id),
    inspector_name TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    started_at REAL NOT NULL,
    finished_at REAL
);
CREATE INDEX patrols_day ON patrols (hall_id, service_day, kind, status);

CREATE TABLE patrol_checks (
    patrol_id INTEGER NOT NULL REFERENCES patrols(id),
    item_code TEXT NOT NULL,
    result TEXT NOT NULL CHECK (result IN ('pass', 'finding')),
    note TEXT NOT NULL DEFAULT '',
    at REAL NOT NULL,
    PRIMARY KEY (patrol_id, item_code)
) WITHOUT ROWID;

CREATE TABLE findings (
    id INTEGER PRIMARY KEY,
    hall_id INTEGER NOT NULL REFERENCES halls(id),
    patrol_id INTEGER REFERENCES patrols(id),
    category TEXT NOT NULL,                        -- a checklist code, or 'other'
    severity TEXT NOT NULL CHECK (severity IN ('minor', 'major', 'serious')),
    description TEXT NOT NULL,
    window_id INTEGER REFERENCES windows(id),      -- tied to a window, a clerk, or an area (at least one)
    clerk_user_id INTEGER REFERENCES users(id),
    area TEXT NOT NULL DEFAULT '',
    responsible_user_id INTEGER REFERENCES users(id),
    responsible_name TEXT NOT NULL DEFAULT '',
    due_at REAL NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'rectifying', 'rectified', 'verified', 'reopened')),
    escalation TEXT NOT NULL DEFAULT 'none' CHECK (escalation IN ('none', 'reminder', 'interview')),
    repeat_count INTEGER NOT NULL DEFAULT 1,       -- same category, same window, last 30 days (this one included)
    created_at REAL NOT NULL,
    created_by_user_id INTEGER REFERENCES users(id),
    created_by_name TEXT NOT NULL,
    rectification TEXT NOT NULL DEFAULT '',        -- what was done
    rectified_at REAL,
    rectified_by_user_id INTEGER REFERENCES users(id),
    rectified_by_name TEXT NOT NULL DEFAULT '',
    verified_at REAL,
    verified_by_user_id INTEGER REFERENCES users(id),
    verified_by_name TEXT NOT NULL DEFAULT '',
    reopen_count INTEGER NOT NULL DEFAULT 0,
    updated_at REAL NOT NULL
);
CREATE INDEX findings_hall_status ON findings (hall_id, status, due_at);
CREATE INDEX findings_window_category ON findings (window_id, category, created_at);
CREATE INDEX findings_patrol ON findings (patrol_id);

-- Every step of a finding, and the answers and remarks around them: who said what, when.
CREATE TABLE finding_log (
    id INTEGER PRIMARY KEY,
    finding_id INTEGER NOT NULL REFERENCES findings(id),
    at REAL NOT NULL,
    user_id INTEGER REFERENCES users(id),
    actor_name TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    action TEXT NOT NULL,                          -- opened | start | rectify | verify | reopen | comment | photo
    from_status TEXT,
    to_status TEXT,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX finding_log_finding ON finding_log (finding_id, id);

CREATE TABLE finding_photos (
    id INTEGER PRIMARY KEY,
    finding_id INTEGER NOT NULL REFERENCES findings(id),
    hall_id INTEGER NOT NULL REFERENCES halls(id),
    stage TEXT NOT NULL CHECK (stage IN ('found', 'rectified')),
    path TEXT NOT NULL UNIQUE,                     -- relative to the photo folder beside the database
    mime TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    uploaded_at REAL NOT NULL,
    uploaded_by_user_id INTEGER REFERENCES users(id),
    uploaded_by_name TEXT NOT NULL
);
CREATE INDEX finding_photos_finding ON finding_photos (finding_id, id);

-- A hall's alert settings over the defaults (queue_id 0: the whole hall; else that queue).
CREATE TABLE alert_rules (
    hall_id INTEGER NOT NULL REFERENCES halls(id),
    kind TEXT NOT NULL,
    queue_id INTEGER NOT NULL DEFAULT 0,
    enabled INTEGER NOT NULL DEFAULT 1,
    threshold REAL,                                -- NULL for queue_wait: the queue's target wait
    PRIMARY KEY (hall_id, kind, queue_id)
) WITHOUT ROWID;

-- The alert log: one row per raised alert, kept after it clears.
CREATE TABLE alerts (
    id INTEGER PRIMARY KEY,
    hall_id INTEGER NOT NULL REFERENCES halls(id),
    key TEXT NOT NULL,                             -- the condition: "queue_wait:12", "window_paused:7" …
    kind TEXT NOT NULL,
    level TEXT NOT NULL,
    message TEXT NOT NULL,
    queue_id INTEGER REFERENCES queues(id),
    window_id INTEGER REFERENCES windows(id),
    value REAL NOT NULL,                           -- at raise time
    threshold REAL NOT NULL,
    last_value REAL NOT NULL,
    peak_value REAL NOT NULL,
    raised_at REAL NOT NULL,
    acknowledged_at REAL,
    acknowledged_by_user_id INTEGER REFERENCES users(id),
    acknowledged_by_name TEXT NOT NULL DEFAULT '',
    ack_note TEXT NOT NULL DEFAULT '',
    cleared_at REAL
);
-- Raised once: at most one active alert per condition.
CREATE UNIQUE INDEX alerts_active ON alerts (hall_id, key) WHERE cleared_at IS NULL;
CREATE INDEX alerts_hall_time ON alerts (hall_id, raised_at);
