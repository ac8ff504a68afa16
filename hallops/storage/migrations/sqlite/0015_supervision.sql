-- Supervision visits of sub-centres (巡察, issue 10): district staff inspect the centres below them on site or
-- remotely, walk a checklist, and raise findings that belong to the centre visited (findings.visit_id). The
-- district plans to visit every centre below it within a period (the seed: all 62 in a year).

-- A district centre's plan; no row: a calendar year (see hallops/domain/supervision.py).
CREATE TABLE supervision_plans (
    hall_id INTEGER PRIMARY KEY REFERENCES halls(id),
    period TEXT NOT NULL DEFAULT 'year' CHECK (period IN ('year', 'half', 'quarter', 'month'))
);

CREATE TABLE supervision_visits (
    id INTEGER PRIMARY KEY,
    hall_id INTEGER NOT NULL REFERENCES halls(id),       -- the centre visited
    from_hall_id INTEGER REFERENCES halls(id),           -- the centre the inspector is bound to (NULL: none)
    mode TEXT NOT NULL CHECK (mode IN ('on_site', 'remote')),
    status TEXT NOT NULL CHECK (status IN ('started', 'finished', 'cancelled')),
    items TEXT NOT NULL,                                 -- the checklist codes at start, JSON array, in order
    inspector_user_id INTEGER REFERENCES users(id),
    inspector_name TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    started_at REAL NOT NULL,
    finished_at REAL,                                    -- finished or cancelled
    updated_at REAL NOT NULL
);
CREATE INDEX supervision_visits_hall ON supervision_visits (hall_id, status, finished_at);
-- One visit in progress at a centre at a time.
CREATE UNIQUE INDEX supervision_visits_started ON supervision_visits (hall_id) WHERE status = 'started';

CREATE TABLE supervision_checks (
    visit_id INTEGER NOT NULL REFERENCES supervision_visits(id),
    item_code TEXT NOT NULL,
    result TEXT NOT NULL CHECK (result IN ('pass', 'finding')),
    note TEXT NOT NULL DEFAULT '',
    at REAL NOT NULL,
    PRIMARY KEY (visit_id, item_code)
) WITHOUT ROWID;

-- Deferred: a copy to PostgreSQL (storage/transfer.py) fills findings before the visits they name.
ALTER TABLE findings ADD COLUMN visit_id INTEGER REFERENCES supervision_visits(id) DEFERRABLE INITIALLY DEFERRED;
CREATE INDEX findings_visit ON findings (visit_id);
