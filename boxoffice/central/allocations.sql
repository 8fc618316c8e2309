-- Allocations: what the central service has granted each terminal. Portable SQL (PostgreSQL and SQLite).
-- Created by central/allocations.py on first use, beside the tables of schema.sql.

-- General-admission places per terminal and section: the terminal's count includes what it has sold from it.
CREATE TABLE IF NOT EXISTS allocations (
    event_id TEXT NOT NULL,
    section_id TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    count BIGINT NOT NULL CHECK (count >= 0),
    PRIMARY KEY (event_id, section_id, terminal_id)
);

-- Reserved seats per terminal: the primary key is what keeps one seat from being in two allocations.
CREATE TABLE IF NOT EXISTS allocated_seats (
    event_id TEXT NOT NULL,
    section_id TEXT NOT NULL,
    label TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    PRIMARY KEY (event_id, section_id, label)
);

-- Every grant and release, once: grants by their id, releases by the journal entry that asked for them.
-- pos orders one terminal's grants for its pull; entry_id is NULL for a grant.
CREATE TABLE IF NOT EXISTS allocation_moves (
    id TEXT PRIMARY KEY,
    pos BIGINT NOT NULL UNIQUE,
    terminal_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    event_id TEXT NOT NULL,
    section_id TEXT NOT NULL,
    count BIGINT NOT NULL,
    seats TEXT NOT NULL,
    entry_id TEXT UNIQUE,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS allocation_moves_terminal ON allocation_moves (terminal_id, pos)
