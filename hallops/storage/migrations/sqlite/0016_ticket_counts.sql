-- The hall's state (storage/halls.py) and the lines an event carries (storage/tickets.py, queue_parts) read
-- counters instead of counting tickets, so a screen connecting costs the same with 10 or 100,000 waiting
-- (issue 11). Kept by triggers whatever code changes a ticket, in the same transaction as the change.
--
-- A queue's waiting tickets, as screens show them, are those whose queue_id it is: the queue's own line
-- (waiting_lines with target_window_id 0) and those of its tickets transferred to one window, which stand in
-- that window's line instead and are counted here. A new ticket is never held for a window, so issuing pays
-- only for day_counts.
CREATE TABLE queue_held (
    queue_id INTEGER PRIMARY KEY,
    n INTEGER NOT NULL
) WITHOUT ROWID;

-- A service day's tickets by status: the day's issued, served, no-show … totals.
CREATE TABLE day_counts (
    hall_id INTEGER NOT NULL,
    service_day TEXT NOT NULL,
    status TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (hall_id, service_day, status)
) WITHOUT ROWID;

INSERT INTO queue_held (queue_id, n)
SELECT queue_id, count(*) FROM tickets WHERE status = 'waiting' AND target_window_id IS NOT NULL GROUP BY queue_id;

INSERT INTO day_counts (hall_id, service_day, status, n)
SELECT hall_id, service_day, status, count(*) FROM tickets GROUP BY hall_id, service_day, status;

CREATE TRIGGER tickets_count_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO day_counts (hall_id, service_day, status, n) VALUES (NEW.hall_id, NEW.service_day, NEW.status, 1)
    ON CONFLICT DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER tickets_count_day AFTER UPDATE OF status, hall_id, service_day ON tickets
WHEN OLD.status IS NOT NEW.status OR OLD.hall_id IS NOT NEW.hall_id OR OLD.service_day IS NOT NEW.service_day
BEGIN
    UPDATE day_counts SET n = n - 1
    WHERE hall_id = OLD.hall_id AND service_day = OLD.service_day AND status = OLD.status;
    INSERT INTO day_counts (hall_id, service_day, status, n) VALUES (NEW.hall_id, NEW.service_day, NEW.status, 1)
    ON CONFLICT DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER tickets_held_insert AFTER INSERT ON tickets
WHEN NEW.status = 'waiting' AND NEW.target_window_id IS NOT NULL BEGIN
    INSERT INTO queue_held (queue_id, n) VALUES (NEW.queue_id, 1) ON CONFLICT DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER tickets_held_leave AFTER UPDATE OF status, queue_id, target_window_id ON tickets
WHEN OLD.status = 'waiting' AND OLD.target_window_id IS NOT NULL BEGIN
    UPDATE queue_held SET n = n - 1 WHERE queue_id = OLD.queue_id;
END;

CREATE TRIGGER tickets_held_join AFTER UPDATE OF status, queue_id, target_window_id ON tickets
WHEN NEW.status = 'waiting' AND NEW.target_window_id IS NOT NULL BEGIN
    INSERT INTO queue_held (queue_id, n) VALUES (NEW.queue_id, 1) ON CONFLICT DO UPDATE SET n = n + 1;
END;

-- Tickets are kept, never deleted; should one be, the counters still follow.
CREATE TRIGGER tickets_count_delete AFTER DELETE ON tickets BEGIN
    UPDATE day_counts SET n = n - 1
    WHERE hall_id = OLD.hall_id AND service_day = OLD.service_day AND status = OLD.status;
    UPDATE queue_held SET n = n - 1
    WHERE OLD.status = 'waiting' AND OLD.target_window_id IS NOT NULL AND queue_id = OLD.queue_id;
END;
