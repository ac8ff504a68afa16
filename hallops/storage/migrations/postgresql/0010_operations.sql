-- Sign-in attempts counted before the password is checked (hallops/domain/limits.py): one row per key
-- ("addr:…", "acct:…", "dev:…"), incremented in the transaction that decides, so concurrent guesses see
-- each other. And the row /readyz writes to prove the database takes writes (hallops/storage/health.py).
CREATE TABLE signin_counters (
    key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    last_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX signin_counters_last ON signin_counters (last_at);
CREATE TABLE health_probe (
    id BIGINT PRIMARY KEY,
    at DOUBLE PRECISION NOT NULL,
    writer TEXT NOT NULL
);
