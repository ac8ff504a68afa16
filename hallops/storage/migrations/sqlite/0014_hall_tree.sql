-- A district's network of centres (issue 10): every hall has a level and, below the district centre, a
-- parent. Existing halls are district centres at the top of their own trees.
ALTER TABLE halls ADD COLUMN parent_id INTEGER REFERENCES halls(id);
ALTER TABLE halls ADD COLUMN level TEXT NOT NULL DEFAULT 'district'
    CHECK (level IN ('district', 'street', 'new_town', 'community'));
CREATE INDEX halls_parent ON halls (parent_id);
