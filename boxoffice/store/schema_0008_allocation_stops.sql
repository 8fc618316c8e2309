-- Top-up requests this terminal made: the id is kept until an answer comes, so a request whose answer was lost is
-- sent again with the same id and the central service grants nothing twice.
CREATE TABLE allocation_requests (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL,
    section_id TEXT NOT NULL,
    count INTEGER NOT NULL,
    asked_at TEXT NOT NULL,
    answered_at TEXT,
    granted INTEGER,
    reason TEXT
);
CREATE INDEX allocation_requests_open ON allocation_requests(event_id, section_id, answered_at);

-- Recalls and write-offs pulled from the central service, each applied once by id: the section's unsold places
-- left this terminal then, and its sales stay refused (with the reason) until a later grant lifts the stop.
CREATE TABLE allocation_stops (
    id TEXT PRIMARY KEY,
    pos INTEGER NOT NULL,
    kind TEXT NOT NULL,            -- 'recall' or 'write_off'
    event_id TEXT NOT NULL,
    section_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    by_name TEXT NOT NULL,
    at TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    took INTEGER NOT NULL,         -- unsold places taken out
    seats TEXT NOT NULL,           -- JSON list of the seats taken out
    entry_id TEXT,                 -- the journal entry that reported it (a recall's allocation.release)
    lifted_at TEXT
);
CREATE INDEX allocation_stops_open ON allocation_stops(event_id, section_id, lifted_at);
