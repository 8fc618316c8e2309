-- Allocations: what the central service has granted each terminal. Portable SQL (PostgreSQL and SQLite).
-- Central schema version 2 (central/schema.py): the first release created these on first use, so a database of
-- that release may hold them already; hence IF NOT EXISTS. Never edited after release: changes are new migrations.

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
;

-- Top-up requests from terminals, once per request id: a request sent again (its answer lost) finds its row here
-- and gets the same answer, so nothing is granted twice. move_id is the grant it made (NULL: nothing was free).
CREATE TABLE IF NOT EXISTS allocation_requests (
    id TEXT PRIMARY KEY,
    terminal_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    section_id TEXT NOT NULL,
    asked BIGINT NOT NULL,
    granted BIGINT NOT NULL,
    move_id TEXT UNIQUE,
    reason TEXT,
    at TEXT NOT NULL
);

-- Recalls (the box office pulls unsold places back) and write-offs (a dead terminal's places freed at once), one row
-- per section, keyed by the move the terminal pulls. A recall is 'pending' until the terminal's release entry
-- arrives ('done'); a write-off records what the terminal might have sold offline (risk) and later sales flagged.
CREATE TABLE IF NOT EXISTS allocation_stops (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    section_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    by_name TEXT NOT NULL,
    at TEXT NOT NULL,
    held BIGINT NOT NULL,
    known_sold BIGINT NOT NULL DEFAULT 0,
    risk BIGINT NOT NULL DEFAULT 0,
    known_seq BIGINT NOT NULL DEFAULT 0,      -- the terminal's last journal entry central had at the write-off
    checked_seq BIGINT NOT NULL DEFAULT 0,    -- its entries up to here were looked at for sales after it
    state TEXT NOT NULL,
    done_at TEXT,
    entry_id TEXT,
    freed BIGINT NOT NULL DEFAULT 0,
    late_sales BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS allocation_stops_terminal ON allocation_stops (terminal_id, event_id)
