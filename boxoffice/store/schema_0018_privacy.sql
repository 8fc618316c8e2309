-- Terminal migration 0018: privacy purges. One row per event whose customer data this terminal erased, so a
-- second purge says when the first was and `privacy purge` can list what it did. The erasure itself is recorded
-- in the journal (a ``privacy.purge`` entry, which syncs); this table only remembers it for the screens.
CREATE TABLE privacy_purges (
    event_id TEXT PRIMARY KEY,
    purged_at TEXT NOT NULL,          -- UTC, ISO 8601
    entry_id TEXT NOT NULL,           -- the privacy.purge journal entry
    operator_id TEXT,
    origin TEXT NOT NULL DEFAULT 'terminal',  -- 'terminal' (privacy purge here) or 'central'
    counts TEXT NOT NULL              -- JSON: rows erased per table, journal entries erased
);
