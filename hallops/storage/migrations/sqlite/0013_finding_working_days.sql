-- A patrol finding's default due date is counted in working days on the hall's calendar (issue 12: one
-- deadline engine for follow-ups, cases and findings). 1 when that count ran into a year nobody has published
-- yet: the date may move once the year's holidays are known, and the page says so.
ALTER TABLE findings ADD COLUMN due_provisional INTEGER NOT NULL DEFAULT 0;
