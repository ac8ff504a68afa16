-- The hall model, tickets, events, and staff/device credentials.
-- Times are UNIX seconds (REAL, UTC); service days are local dates 'YYYY-MM-DD'.

CREATE TABLE halls (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    timezone TEXT NOT NULL,
    notice TEXT NOT NULL DEFAULT '',
    event_seq INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL
);

CREATE TABLE departments (
    id INTEGER PRIMARY KEY,
    hall_id INTEGER NOT NULL REFERENCES halls(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    UNIQUE (hall_id, code)
);

CREATE TABLE queues (
    id INTEGER PRIMARY KEY,
    hall_id INTEGER NOT NULL REFERENCES halls(id),
    prefix TEXT NOT NULL,
    name TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL DEFAULT '',
    category_en TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    department_id INTEGER REFERENCES departments(id),
    target_wait_minutes INTEGER NOT NULL DEFAULT 20,
    daily_cap INTEGER NOT NULL DEFAULT 0,          -- 0: no cap
    hours TEXT NOT NULL DEFAULT '00:00-24:00',
    avg_service_minutes INTEGER NOT NULL DEFAULT 8,
    active INTEGER NOT NULL DEFAULT 1,
    UNIQUE (hall_id, prefix)
);

CREATE TABLE service_items (
    id INTEGER PRIMARY KEY,
    hall_id INTEGER NOT NULL REFERENCES halls(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    department_id INTEGER REFERENCES departments(id),
    queue_id INTEGER REFERENCES queues(id),
    active INTEGER NOT NULL DEFAULT 1,
    UNIQUE (hall_id, code)
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'clerk')),
    password_hash TEXT NOT NULL,
    hall_id INTEGER REFERENCES halls(id),          -- NULL: every hall
    active INTEGER NOT NULL DEFAULT 1,
    created_at REAL NOT NULL
);

CREATE TABLE windows (
    id INTEGER PRIMARY KEY,
    hall_id INTEGER NOT NULL REFERENCES halls(id),
    number INTEGER NOT NULL,
    name TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    scope TEXT,                                    -- cross_region windows only
    key_window INTEGER NOT NULL DEFAULT 0,
    area TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'closed',
    pause_reason TEXT,
    state_since REAL,
    clerk_user_id INTEGER REFERENCES users(id),
    current_ticket_id INTEGER,                     -- the called or serving ticket
    active INTEGER NOT NULL DEFAULT 1,
    UNIQUE (hall_id, number)
);
CREATE UNIQUE INDEX windows_one_per_clerk ON windows (clerk_user_id) WHERE clerk_user_id IS NOT NULL;

CREATE TABLE window_queues (
    window_id INTEGER NOT NULL REFERENCES windows(id),
    position INTEGER NOT NULL,
    queue_id INTEGER NOT NULL REFERENCES queues(id),
    PRIMARY KEY (window_id, position),
    UNIQUE (window_id, queue_id)
) WITHOUT ROWID;

CREATE TABLE day_counters (
    queue_id INTEGER NOT NULL REFERENCES queues(id),
    service_day TEXT NOT NULL,
    last_serial INTEGER NOT NULL,
    PRIMARY KEY (queue_id, service_day)
) WITHOUT ROWID;

CREATE TABLE tickets (
    id INTEGER PRIMARY KEY,
    hall_id INTEGER NOT NULL REFERENCES halls(id),
    service_day TEXT NOT NULL,
    number TEXT NOT NULL,
    serial INTEGER NOT NULL,
    origin_queue_id INTEGER NOT NULL REFERENCES queues(id),
    queue_id INTEGER NOT NULL REFERENCES queues(id),
    token TEXT NOT NULL UNIQUE,
    channel TEXT NOT NULL,
    priority TEXT NOT NULL,
    boost_class INTEGER NOT NULL DEFAULT 0,        -- domain/policy.py: 1 priority, 2 appointment, 3 both
    status TEXT NOT NULL,
    issued_at REAL NOT NULL,
    sort_at REAL NOT NULL,                         -- place in its queue (see domain/policy.py)
    appointment_at REAL,
    first_called_at REAL,
    called_at REAL,
    started_at REAL,
    ended_at REAL,
    window_id INTEGER REFERENCES windows(id),      -- called to / served at / parked at
    target_window_id INTEGER REFERENCES windows(id),
    clerk_user_id INTEGER REFERENCES users(id),
    recall_count INTEGER NOT NULL DEFAULT 0,
    transfer_count INTEGER NOT NULL DEFAULT 0,
    park_count INTEGER NOT NULL DEFAULT 0,
    UNIQUE (hall_id, service_day, number)
);
-- Call order within a queue and boost class: "who is first" and "how many ahead" are index ranges.
CREATE INDEX tickets_queue_order ON tickets (queue_id, status, target_window_id, boost_class, sort_at);
CREATE INDEX tickets_window_order ON tickets (target_window_id, status, boost_class, sort_at)
    WHERE target_window_id IS NOT NULL;
CREATE INDEX tickets_waiting ON tickets (hall_id, status, queue_id, issued_at);
CREATE INDEX tickets_day ON tickets (hall_id, service_day, status);
CREATE INDEX tickets_window ON tickets (window_id, status);

-- How many wait in each line (a queue, or the one window a ticket was transferred to) and boost class,
-- kept by triggers whatever code changes a ticket: a new ticket's place is then counted from the end.
CREATE TABLE waiting_lines (
    queue_id INTEGER NOT NULL,                     -- 0 for a window's own line
    target_window_id INTEGER NOT NULL,             -- 0 for a queue's line
    boost_class INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (queue_id, target_window_id, boost_class)
) WITHOUT ROWID;

CREATE TRIGGER tickets_line_join AFTER INSERT ON tickets WHEN NEW.status = 'waiting' BEGIN
    INSERT INTO waiting_lines (queue_id, target_window_id, boost_class, n)
    VALUES (CASE WHEN NEW.target_window_id IS NULL THEN NEW.queue_id ELSE 0 END,
            coalesce(NEW.target_window_id, 0), NEW.boost_class, 1)
    ON CONFLICT DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER tickets_line_leave AFTER UPDATE OF status, queue_id, target_window_id, boost_class ON tickets
WHEN OLD.status = 'waiting' BEGIN
    UPDATE waiting_lines SET n = n - 1
    WHERE queue_id = CASE WHEN OLD.target_window_id IS NULL THEN OLD.queue_id ELSE 0 END
      AND target_window_id = coalesce(OLD.target_window_id, 0) AND boost_class = OLD.boost_class;
END;

CREATE TRIGGER tickets_line_rejoin AFTER UPDATE OF status, queue_id, target_window_id, boost_class ON tickets
WHEN NEW.status = 'waiting' BEGIN
    INSERT INTO waiting_lines (queue_id, target_window_id, boost_class, n)
    VALUES (CASE WHEN NEW.target_window_id IS NULL THEN NEW.queue_id ELSE 0 END,
            coalesce(NEW.target_window_id, 0), NEW.boost_class, 1)
    ON CONFLICT DO UPDATE SET n = n + 1;
END;

CREATE TABLE ticket_items (
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    item_id INTEGER NOT NULL REFERENCES service_items(id),
    window_id INTEGER REFERENCES windows(id),
    at REAL NOT NULL,
    PRIMARY KEY (ticket_id, item_id)
) WITHOUT ROWID;

CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,                           -- who asked: one device's keys never meet another's
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    created_at REAL NOT NULL,
    PRIMARY KEY (scope, key)
) WITHOUT ROWID;

CREATE TABLE events (
    hall_id INTEGER NOT NULL REFERENCES halls(id),
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    at REAL NOT NULL,
    ticket_id INTEGER,                             -- the ticket a ticket.* event is about: its history
    payload TEXT NOT NULL,
    PRIMARY KEY (hall_id, seq)
) WITHOUT ROWID;
CREATE INDEX events_ticket ON events (ticket_id, seq) WHERE ticket_id IS NOT NULL;
CREATE INDEX events_type ON events (hall_id, type, seq);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL
) WITHOUT ROWID;

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'clerk', 'kiosk', 'display')),
    hall_id INTEGER REFERENCES halls(id),
    window_id INTEGER REFERENCES windows(id),
    label TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    revoked_at REAL
);
