-- The hall's state (storage/halls.py) and the lines an event carries (storage/tickets.py, queue_parts) read
-- counters instead of counting tickets, so a screen connecting costs the same with 10 or 100,000 waiting
-- (issue 11). Kept by triggers whatever code changes a ticket, in the same transaction as the change.
--
-- A queue's waiting tickets, as screens show them, are those whose queue_id it is: the queue's own line
-- (waiting_lines with target_window_id 0) and those of its tickets transferred to one window, which stand in
-- that window's line instead and are counted here. A new ticket is never held for a window, so issuing pays
-- only for day_counts.
CREATE TABLE queue_held (
    queue_id BIGINT PRIMARY KEY,
    n BIGINT NOT NULL
);

-- A service day's tickets by status: the day's issued, served, no-show … totals.
CREATE TABLE day_counts (
    hall_id BIGINT NOT NULL,
    service_day TEXT NOT NULL,
    status TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (hall_id, service_day, status)
);

CREATE FUNCTION tickets_count_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        IF TG_OP = 'DELETE' OR OLD.status IS DISTINCT FROM NEW.status OR OLD.hall_id IS DISTINCT FROM NEW.hall_id
           OR OLD.service_day IS DISTINCT FROM NEW.service_day THEN
            UPDATE day_counts SET n = n - 1
            WHERE hall_id = OLD.hall_id AND service_day = OLD.service_day AND status = OLD.status;
            IF TG_OP = 'UPDATE' THEN
                INSERT INTO day_counts AS c (hall_id, service_day, status, n)
                VALUES (NEW.hall_id, NEW.service_day, NEW.status, 1)
                ON CONFLICT (hall_id, service_day, status) DO UPDATE SET n = c.n + 1;
            END IF;
        END IF;
        IF OLD.status = 'waiting' AND OLD.target_window_id IS NOT NULL THEN
            UPDATE queue_held SET n = n - 1 WHERE queue_id = OLD.queue_id;
        END IF;
    ELSE
        INSERT INTO day_counts AS c (hall_id, service_day, status, n)
        VALUES (NEW.hall_id, NEW.service_day, NEW.status, 1)
        ON CONFLICT (hall_id, service_day, status) DO UPDATE SET n = c.n + 1;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.status = 'waiting' AND NEW.target_window_id IS NOT NULL THEN
        INSERT INTO queue_held AS c (queue_id, n) VALUES (NEW.queue_id, 1)
        ON CONFLICT (queue_id) DO UPDATE SET n = c.n + 1;
    END IF;
    RETURN NULL;
END $$;

-- The triggers come before the backfill: creating them locks tickets against writers until this commits, so
-- every ticket is counted once, by the backfill or by a trigger.
CREATE TRIGGER tickets_count_insert AFTER INSERT ON tickets
    FOR EACH ROW EXECUTE FUNCTION tickets_count_change();
CREATE TRIGGER tickets_count_update AFTER UPDATE OF status, hall_id, service_day, queue_id, target_window_id ON tickets
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.hall_id IS DISTINCT FROM NEW.hall_id
                       OR OLD.service_day IS DISTINCT FROM NEW.service_day
                       OR ((OLD.queue_id IS DISTINCT FROM NEW.queue_id
                            OR OLD.target_window_id IS DISTINCT FROM NEW.target_window_id)
                           AND (OLD.status = 'waiting' OR NEW.status = 'waiting')))
    EXECUTE FUNCTION tickets_count_change();
-- Tickets are kept, never deleted; should one be, the counters still follow.
CREATE TRIGGER tickets_count_delete AFTER DELETE ON tickets
    FOR EACH ROW EXECUTE FUNCTION tickets_count_change();

INSERT INTO queue_held (queue_id, n)
SELECT queue_id, count(*) FROM tickets WHERE status = 'waiting' AND target_window_id IS NOT NULL GROUP BY queue_id;

INSERT INTO day_counts (hall_id, service_day, status, n)
SELECT hall_id, service_day, status, count(*) FROM tickets GROUP BY hall_id, service_day, status;
