-- Allocations granted by the central service: each grant applied once by id (a grant pulled twice, or pulled
-- again after a restart in the middle of applying it, adds nothing the second time).
CREATE TABLE allocation_grants (
    id TEXT PRIMARY KEY,
    pos INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    section_id TEXT NOT NULL,
    count INTEGER NOT NULL,
    seats TEXT NOT NULL,          -- JSON list of seat labels, empty for standing places
    applied_at TEXT NOT NULL
);
CREATE INDEX allocation_grants_pos ON allocation_grants(pos);

-- Events whose inventory the central service owns for this terminal: from the first grant on, the terminal sells
-- only what it was granted for them.
CREATE TABLE allocation_events (
    event_id TEXT PRIMARY KEY,
    since TEXT NOT NULL
);
