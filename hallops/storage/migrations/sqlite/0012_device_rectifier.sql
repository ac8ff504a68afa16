-- Four eyes for devices too (issue 14): a rectification reported through a token (a manager's tablet signed
-- in by token, no user) is its device's, and that device may not verify it. NULL for a signed-in user.
ALTER TABLE findings ADD COLUMN rectified_by_token_id INTEGER;
