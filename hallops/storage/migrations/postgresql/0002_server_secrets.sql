-- Keys the server signs with (device cookies, links). Made at first use unless HALLOPS_SECRET_KEY is set,
-- and kept here so that a restart does not invalidate what was signed.
CREATE TABLE server_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,                           -- hex
    created_at DOUBLE PRECISION NOT NULL
);
