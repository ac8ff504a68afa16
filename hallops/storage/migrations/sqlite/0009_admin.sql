-- The admin console (issue 13): staff accounts from hiring to leaving, archiving instead of deleting,
-- the province's standard item codes, 一件事一次办 bundles, device-token use, and the audit log.

-- Staff: a clerk may be scoped to one window; a forced password change; when an account was disabled.
ALTER TABLE users ADD COLUMN window_id INTEGER REFERENCES windows(id);
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN password_changed_at REAL;
ALTER TABLE users ADD COLUMN disabled_at REAL;

-- One-time password-reset codes: only their hash is kept; used once, within their time.
CREATE TABLE password_resets (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    code_hash TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    used_at REAL
);
CREATE INDEX password_resets_user ON password_resets (user_id);

-- Tokens: issued for a staff member (stops with their account), and when and where last used.
ALTER TABLE api_tokens ADD COLUMN user_id INTEGER REFERENCES users(id);
ALTER TABLE api_tokens ADD COLUMN last_used_at REAL;
ALTER TABLE api_tokens ADD COLUMN last_used_from TEXT;

-- Archiving instead of deleting: the row stays, so history keeps its names.
ALTER TABLE departments ADD COLUMN active INTEGER NOT NULL DEFAULT 1;
ALTER TABLE departments ADD COLUMN archived_at REAL;
ALTER TABLE queues ADD COLUMN archived_at REAL;
ALTER TABLE windows ADD COLUMN archived_at REAL;
ALTER TABLE service_items ADD COLUMN archived_at REAL;
-- The item's code on the province's integrated platform (事项编码), kept with each item.
ALTER TABLE service_items ADD COLUMN standard_code TEXT NOT NULL DEFAULT '';
CREATE INDEX service_items_standard ON service_items (hall_id, standard_code);

-- 一件事一次办: an ordered set of items across departments, served window after window on one number.
CREATE TABLE bundles (
    id INTEGER PRIMARY KEY,
    hall_id INTEGER NOT NULL REFERENCES halls(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    queue_id INTEGER REFERENCES queues(id),        -- where its tickets are issued (a bundle queue)
    active INTEGER NOT NULL DEFAULT 1,
    archived_at REAL,
    UNIQUE (hall_id, code)
);
CREATE TABLE bundle_items (
    bundle_id INTEGER NOT NULL REFERENCES bundles(id),
    position INTEGER NOT NULL,
    item_id INTEGER NOT NULL REFERENCES service_items(id),
    PRIMARY KEY (bundle_id, position),
    UNIQUE (bundle_id, item_id)
);
-- A bundle visit's ticket: which bundle, and which step of its route the ticket is at (domain/bundles.py).
CREATE TABLE bundle_tickets (
    ticket_id INTEGER PRIMARY KEY REFERENCES tickets(id),
    bundle_id INTEGER NOT NULL REFERENCES bundles(id),
    step INTEGER NOT NULL DEFAULT 0
);

-- Every change (who, when, from where, before and after), every sign-in and failed sign-in, password
-- resets and token use. Rows are only ever added.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    hall_id INTEGER,                               -- NULL: not about one hall (accounts of every hall)
    actor_user_id INTEGER,
    actor_token_id INTEGER,
    actor_name TEXT NOT NULL DEFAULT '',
    actor_role TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    action TEXT NOT NULL,
    target_kind TEXT NOT NULL DEFAULT '',
    target_id TEXT NOT NULL DEFAULT '',
    summary TEXT NOT NULL DEFAULT '',
    before_json TEXT,                                   -- JSON: the changed fields as they were
    after_json TEXT                                     -- JSON: as they became
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_hall ON audit_log (hall_id, at);
CREATE INDEX audit_log_action ON audit_log (action, at);
