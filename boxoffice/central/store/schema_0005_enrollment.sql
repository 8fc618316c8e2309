-- Central schema version 5: enrollment proves the terminal holds its key, and a revoked terminal comes back only
-- when an admin says so.
-- Portable SQL (PostgreSQL and SQLite); run once by central/schema.py, never edited after release.

-- A code made with `central enroll-code --readmit` may bring back a revoked terminal of its name; any other code
-- is refused for a revoked terminal (central/services/enrollment.py).
ALTER TABLE enroll_codes ADD COLUMN readmit INTEGER NOT NULL DEFAULT 0;

-- One nonce per enrollment attempt (POST /v1/enroll/challenge), bound to a code and a terminal id, good for a
-- couple of minutes and spent by the first POST /v1/enroll that presents it. Only its SHA-256 is kept.
CREATE TABLE enroll_challenges (
    nonce_hash TEXT PRIMARY KEY,
    code_hash TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
