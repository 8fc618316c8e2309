-- Purges the central service ordered (`boxoffice central privacy purge`), as pulled from the signed feed: each is
-- carried out here once the pull is over (services/privacy_feed.py), and waits here while this terminal still
-- holds entries of that event the central service has not received (a purge must not erase what was never pushed).
CREATE TABLE privacy_pending (
    event_id TEXT PRIMARY KEY,
    ordered_at TEXT NOT NULL,
    cursor INTEGER NOT NULL,
    last_error TEXT
);
