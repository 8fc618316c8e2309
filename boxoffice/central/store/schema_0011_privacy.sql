-- Central schema version 11: privacy purges. Portable SQL (PostgreSQL and SQLite); never edited after release.
-- One row per purge of an event's customer data: asked here (`boxoffice central privacy purge`, origin NULL) or by
-- a terminal's privacy.purge journal entry (origin: that terminal; entry_id: the entry). status 'done', or
-- 'refused' with the reason (an event the central service does not know, or not past keep_days by its clock).
CREATE TABLE privacy_purges (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL,
    at TEXT NOT NULL,
    origin TEXT,
    entry_id TEXT,
    status TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX privacy_purges_event ON privacy_purges (event_id);
