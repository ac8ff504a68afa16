-- The citizen's side (issue 15): real-name tickets (一码取号), text messages before one's turn, booking from
-- the phone, the phone's own list of tickets. Personal data (names, ID numbers, phone numbers) lives only in
-- the columns marked PERSONAL; the retention loop (usecases/citizens.py) blanks them after the hall's
-- retention, keeping the masked forms for the statistics and the staff's lists.

ALTER TABLE citizen_settings ADD COLUMN search_integrated_first INTEGER NOT NULL DEFAULT 0;
ALTER TABLE citizen_settings ADD COLUMN person_daily_limit INTEGER NOT NULL DEFAULT 5;
ALTER TABLE citizen_settings ADD COLUMN retention_days INTEGER NOT NULL DEFAULT 30;
ALTER TABLE citizen_settings ADD COLUMN sms_ahead_default INTEGER NOT NULL DEFAULT 3;
ALTER TABLE citizen_settings ADD COLUMN booking_days_ahead INTEGER NOT NULL DEFAULT 7;
ALTER TABLE citizen_settings ADD COLUMN booking_missed_limit INTEGER NOT NULL DEFAULT 3;
ALTER TABLE citizen_settings ADD COLUMN booking_missed_window_days INTEGER NOT NULL DEFAULT 30;
ALTER TABLE citizen_settings ADD COLUMN booking_block_days INTEGER NOT NULL DEFAULT 30;

-- Who the identity provider said a scanned code or typed ID number is: kept a few minutes, between the
-- scan and the ticket the citizen then takes at the same kiosk.
CREATE TABLE identity_sessions (
    token TEXT PRIMARY KEY,
    hall_id INTEGER NOT NULL REFERENCES halls(id),
    person_key TEXT NOT NULL,                   -- HMAC of the ID number: counts a person without naming them
    name TEXT,                                  -- PERSONAL
    id_number TEXT,                             -- PERSONAL
    name_masked TEXT NOT NULL,
    id_masked TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL
);
CREATE INDEX identity_sessions_expiry ON identity_sessions (expires_at);

-- A real-name ticket: whose it is.
CREATE TABLE ticket_people (
    ticket_id INTEGER PRIMARY KEY REFERENCES tickets(id),
    hall_id INTEGER NOT NULL REFERENCES halls(id),
    person_key TEXT,                            -- PERSONAL (a pseudonym, erased with the rest)
    name TEXT,                                  -- PERSONAL
    id_number TEXT,                             -- PERSONAL
    name_masked TEXT NOT NULL,
    id_masked TEXT NOT NULL,
    at REAL NOT NULL,
    erased_at REAL
);
CREATE INDEX ticket_people_person ON ticket_people (person_key, at);
CREATE INDEX ticket_people_at ON ticket_people (at);

-- Tickets a phone follows (took, or opened by its QR code): its "my tickets".
CREATE TABLE device_tickets (
    device TEXT NOT NULL,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    at REAL NOT NULL,
    PRIMARY KEY (device, ticket_id)
);

-- A number to text before the ticket's turn (the citizen's own or a family member's).
CREATE TABLE sms_subscriptions (
    ticket_id INTEGER PRIMARY KEY REFERENCES tickets(id),
    hall_id INTEGER NOT NULL REFERENCES halls(id),
    phone TEXT,                                 -- PERSONAL
    phone_masked TEXT NOT NULL,
    relation TEXT NOT NULL CHECK (relation IN ('self', 'family')),
    ahead INTEGER NOT NULL,                     -- text when this many or fewer are ahead
    near_sent INTEGER NOT NULL DEFAULT 0,
    called_sent INTEGER NOT NULL DEFAULT 0,
    done INTEGER NOT NULL DEFAULT 0,            -- the ticket ended: nothing more to send
    created_at REAL NOT NULL,
    erased_at REAL
);

-- Every text message, queued, retried, rate-limited per number; staff see its state (masked).
CREATE TABLE sms_outbox (
    id INTEGER PRIMARY KEY,
    hall_id INTEGER NOT NULL REFERENCES halls(id),
    ticket_id INTEGER REFERENCES tickets(id),
    appointment_id INTEGER REFERENCES appointments(id),
    phone TEXT,                                 -- PERSONAL
    phone_masked TEXT NOT NULL,
    kind TEXT NOT NULL,                         -- near | called | booked | reminder | cancelled
    params TEXT NOT NULL,                       -- JSON: the template's parameters
    status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed', 'dropped')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    provider_ref TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    sent_at REAL
);
CREATE INDEX sms_outbox_due ON sms_outbox (status, next_at);
CREATE INDEX sms_outbox_hall ON sms_outbox (hall_id, created_at);

-- A booking made from the phone: the person (for the no-show rule), the phone that made it, the number.
CREATE TABLE booking_people (
    appointment_id INTEGER PRIMARY KEY REFERENCES appointments(id),
    hall_id INTEGER NOT NULL REFERENCES halls(id),
    person_key TEXT,                            -- PERSONAL (a pseudonym, erased with the rest)
    device TEXT NOT NULL,
    phone TEXT,                                 -- PERSONAL
    name_masked TEXT NOT NULL,
    created_at REAL NOT NULL,
    erased_at REAL
);
CREATE INDEX booking_people_person ON booking_people (person_key);
CREATE INDEX booking_people_device ON booking_people (device);
