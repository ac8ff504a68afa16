-- A window's and a clerk's calls, counted from the call events: a ticket called at window 1 and then
-- transferred to window 2 was called by both, although it ended at window 2 (served and no-shows still
-- count where the ticket ended). Recalls (重呼) and call-backs of parked tickets (回呼) are kept apart.
ALTER TABLE report_rollup ADD COLUMN calls BIGINT NOT NULL DEFAULT 0;
ALTER TABLE report_rollup ADD COLUMN call_backs BIGINT NOT NULL DEFAULT 0;
ALTER TABLE report_rollup ADD COLUMN recalls BIGINT NOT NULL DEFAULT 0;

-- Days rolled up before counted no calls: forget them, they are rebuilt from tickets and events on first
-- use (and at start). Kept briefings keep the figures they were generated with.
DELETE FROM report_rollup;
DELETE FROM report_days;

-- A day's work events (calls, recalls, transfers, and the window sign-ins that say which clerk called) in
-- one range read; a partial index, so the hall's other events are not slowed down.
DROP INDEX IF EXISTS events_transfers;
CREATE INDEX events_work ON events (hall_id, at)
    WHERE type IN ('ticket.called', 'ticket.recalled', 'ticket.transferred', 'window.opened', 'window.closed');
