-- Sync with the central service: where it is, this terminal's credential, how far the pull has got, what came in.

-- One row once enrolled. The bearer token is the terminal's credential and lives here, beside the data it guards
-- (the database file is the terminal; its signing key sits beside it with mode 0600).
CREATE TABLE sync_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    central_url TEXT NOT NULL,
    token TEXT NOT NULL,
    enrolled_at TEXT NOT NULL,
    cursor INTEGER NOT NULL DEFAULT 0,        -- last feed position applied
    head INTEGER NOT NULL DEFAULT 0,          -- the feed's last position when last asked
    last_push_at TEXT,
    last_pull_at TEXT,
    last_good_sync TEXT,                      -- last time a push and a pull both finished
    last_attempt_at TEXT,
    last_error TEXT,
    newest_change_at TEXT                     -- when the newest change pulled was made on the central service
);

-- Partial index: finding what is still to push stays instant however long the journal grows.
CREATE INDEX journal_unpushed ON journal(seq) WHERE pushed_at IS NULL;

-- Flags the central service raised about this terminal's actions (or another's that clashed with them).
CREATE TABLE sync_conflicts (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    order_id TEXT,
    ticket_id TEXT,
    first_terminal TEXT NOT NULL,
    first_at TEXT NOT NULL,
    second_terminal TEXT NOT NULL,
    second_at TEXT NOT NULL,
    rule TEXT NOT NULL,
    flagged_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    seen_at TEXT
);

-- Other terminals the central service told us about (revoked ones are marked; their keys stay trusted).
CREATE TABLE sync_peers (
    terminal_id TEXT PRIMARY KEY,
    name TEXT,
    key_id TEXT,
    revoked_at TEXT
);

-- Changes that could not apply yet (an order for an event this terminal has no catalogue for, a pickup of an order
-- not here yet): tried again after each catalogue change and at the end of each sync, so nothing pulled is lost.
CREATE TABLE sync_parked (
    cursor INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    reason TEXT NOT NULL,
    parked_at TEXT NOT NULL
)
