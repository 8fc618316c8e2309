-- Running the night: pauses of sales, the incident log.

CREATE TABLE pauses (
    id TEXT PRIMARY KEY,
    scope TEXT NOT NULL CHECK (scope IN ('all', 'event', 'channel', 'terminal')),
    target TEXT,                      -- event id, channel name or terminal id; NULL for all
    what TEXT NOT NULL DEFAULT 'sales' CHECK (what IN ('sales', 'pickups', 'scans')),
    reason TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT 'local',   -- local | central
    paused_at TEXT NOT NULL,
    paused_by TEXT,
    resumed_at TEXT,
    resumed_by TEXT
);
CREATE INDEX pauses_active ON pauses(resumed_at, what);

CREATE TABLE incidents (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('minor', 'major', 'critical')),
    opened_at TEXT NOT NULL,
    opened_by TEXT,
    closed_at TEXT,
    closed_by TEXT,
    resolution TEXT
);

CREATE TABLE incident_notes (
    id TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    at TEXT NOT NULL,
    operator_id TEXT,
    text TEXT NOT NULL
);
CREATE INDEX incident_notes_by ON incident_notes(incident_id, at);
