-- Recovering a terminal from an older copy of its database (services/recovery.py).
--
-- One row while the terminal is being recovered: after `boxoffice restore` of an older backup, or when it was found
-- opened behind its marks file, or when the central service said its journal diverged. 'needed' stops every action
-- that would write the journal until `boxoffice sync recover` has run; 'gap' (restore --accept-loss) lets the
-- terminal work on, with the central service's allocations held at zero until the recovery.
CREATE TABLE recovery (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    state TEXT NOT NULL CHECK (state IN ('needed', 'gap')),
    source TEXT NOT NULL CHECK (source IN ('restore', 'copied_back', 'diverged')),
    since TEXT NOT NULL,
    backup_seq INTEGER NOT NULL,          -- the last journal entry of the database as it was put back
    marks_seq INTEGER NOT NULL,           -- the last entry this terminal is known to have made before that
    marks_hash TEXT NOT NULL,
    next_order_seq INTEGER NOT NULL,      -- order numbers below this may have been handed out already
    restore_seq INTEGER,                  -- the entry that recorded the restore and declared the gap
    held TEXT,                            -- JSON: central allocations held at zero until the recovery
    kept TEXT,                            -- JSON: places kept sold for entries that may be lost, and their ids
    missing TEXT,                         -- JSON: what the database lacks, by kind of entry, when known
    message TEXT NOT NULL
);
