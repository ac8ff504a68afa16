-- Failed sign-ins, per client address and per username ("addr:…", "user:…"): counted by every server
-- process alike (hallops/domain/signin.py), forgotten after twice the window.
CREATE TABLE signin_failures (
    key TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX signin_failures_key ON signin_failures (key, at);
CREATE INDEX signin_failures_at ON signin_failures (at);
