-- Central schema version 4: the last signed checkpoint of each terminal's journal.
-- Portable SQL (PostgreSQL and SQLite); run once by central/schema.py, never edited after release.

-- A terminal signs its journal's head (seq, hash) with its Ed25519 key and sends it with each sync
-- (domain/checkpoints.py). The service keeps the last one it accepted: a terminal whose chain no longer leads to it
-- had its history rewritten, and its next push is refused and flagged (central/services/checkpoints.py).
CREATE TABLE terminal_checkpoints (
    terminal_id TEXT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL,
    signature TEXT NOT NULL,
    signed_at TEXT NOT NULL,
    received_at TEXT NOT NULL
);
