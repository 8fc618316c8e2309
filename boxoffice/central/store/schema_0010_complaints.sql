-- Central schema version 10: every terminal's complaints, as their complaint.add and complaint.close journal entries
-- said (central/services/complaints.py), for `boxoffice central complaints` and the complaints alert across
-- terminals. Portable SQL (PostgreSQL and SQLite); run once by central/schema.py, never edited after release.
-- The entries themselves stay in ``journal`` as they came; this table is what they mean.

CREATE TABLE complaints (
    id TEXT PRIMARY KEY,
    terminal_id TEXT NOT NULL,
    entry_id TEXT NOT NULL,           -- the complaint.add entry it came in
    category TEXT NOT NULL,
    event_id TEXT,
    order_id TEXT,
    order_code TEXT,
    ticket_id TEXT,
    note TEXT,
    at TEXT NOT NULL,                 -- when it was written down, by the terminal's clock
    operator_id TEXT,
    closed_at TEXT,
    closed_by TEXT,
    close_note TEXT,
    received_at TEXT NOT NULL
);
CREATE INDEX complaints_at ON complaints (at);
CREATE INDEX complaints_terminal ON complaints (terminal_id, at);
