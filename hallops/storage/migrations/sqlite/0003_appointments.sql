-- The citizen side: appointments (slots and bookings), kiosk printers, the hall's citizen settings and
-- the log of phone tickets (一码取号) that the per-device and per-address limits count.

-- One row per hall; a hall without a row uses the defaults below (see storage/kiosk.py DEFAULTS).
CREATE TABLE citizen_settings (
    hall_id INTEGER PRIMARY KEY REFERENCES halls(id),
    checkin_early_minutes INTEGER NOT NULL DEFAULT 30,   -- an appointment may check in this long before its slot
    checkin_late_minutes INTEGER NOT NULL DEFAULT 15,    -- ... and this long after the slot started
    mobile_per_device_hour INTEGER NOT NULL DEFAULT 2,   -- phone tickets one device may take in an hour
    mobile_per_address_hour INTEGER NOT NULL DEFAULT 60, -- one network address (the hall's Wi-Fi is one)
    mobile_enabled INTEGER NOT NULL DEFAULT 1,
    no_show_after_recalls_seconds INTEGER NOT NULL DEFAULT 0,  -- 0: the clerk decides; else the console
                                                               -- marks no-show this long after the last
                                                               -- allowed recall
    public_base_url TEXT NOT NULL DEFAULT '',            -- what phone QR codes point to; '' = as requested
    updated_at REAL NOT NULL
);

-- A kiosk's printer, keyed by its device token (api_tokens.id): printing is configured per kiosk.
CREATE TABLE kiosk_printers (
    token_id INTEGER PRIMARY KEY REFERENCES api_tokens(id),
    mode TEXT NOT NULL CHECK (mode IN ('escpos', 'browser', 'none')),
    host TEXT NOT NULL DEFAULT '',
    port INTEGER NOT NULL DEFAULT 9100,
    updated_at REAL NOT NULL
);

-- Printer faults, kept so a manager sees which kiosk needs paper or a technician.
CREATE TABLE kiosk_print_log (
    id INTEGER PRIMARY KEY,
    token_id INTEGER REFERENCES api_tokens(id),
    ticket_id INTEGER REFERENCES tickets(id),
    ok INTEGER NOT NULL,
    error TEXT NOT NULL DEFAULT '',
    at REAL NOT NULL
);
CREATE INDEX kiosk_print_log_at ON kiosk_print_log (at);

CREATE TABLE mobile_issues (
    id INTEGER PRIMARY KEY,
    hall_id INTEGER NOT NULL REFERENCES halls(id),
    device TEXT NOT NULL,
    address TEXT NOT NULL,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    at REAL NOT NULL
);
CREATE INDEX mobile_issues_device ON mobile_issues (device, at);
CREATE INDEX mobile_issues_address ON mobile_issues (hall_id, address, at);

CREATE TABLE appointment_slots (
    id INTEGER PRIMARY KEY,
    hall_id INTEGER NOT NULL REFERENCES halls(id),
    queue_id INTEGER NOT NULL REFERENCES queues(id),
    starts_at REAL NOT NULL,
    ends_at REAL NOT NULL,
    capacity INTEGER NOT NULL,
    created_at REAL NOT NULL,
    UNIQUE (queue_id, starts_at)
);
CREATE INDEX appointment_slots_day ON appointment_slots (hall_id, starts_at);

CREATE TABLE appointments (
    id INTEGER PRIMARY KEY,
    hall_id INTEGER NOT NULL REFERENCES halls(id),
    slot_id INTEGER NOT NULL REFERENCES appointment_slots(id),
    code TEXT NOT NULL,                         -- what the citizen types at the kiosk
    name TEXT NOT NULL DEFAULT '',
    phone_tail TEXT NOT NULL DEFAULT '',        -- last four digits only: enough to tell people apart
    status TEXT NOT NULL CHECK (status IN ('booked', 'checked_in', 'cancelled')),
    ticket_id INTEGER REFERENCES tickets(id),
    checked_in_at REAL,
    source TEXT NOT NULL DEFAULT 'api',
    created_at REAL NOT NULL,
    UNIQUE (hall_id, code)
);
CREATE INDEX appointments_slot ON appointments (slot_id);
