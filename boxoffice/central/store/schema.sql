-- The central service's database. Portable SQL: the same text runs on PostgreSQL and SQLite.
-- Times are UTC ISO 8601 text (sortable), JSON documents are text, flags are 0/1 integers.
-- A later release adds tables with a new schema version in central/schema.py, never edits here.

CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Monotonic counters taken with UPDATE ... RETURNING inside the writer's transaction:
-- 'feed' is the last change position handed out, 'web_order' the last web order number.
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS terminals (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    tag TEXT NOT NULL UNIQUE,          -- order-code prefix: two terminals with one tag would print clashing codes
    key_id TEXT NOT NULL,
    public_key TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,   -- sha256 of the bearer token; the token itself is never stored here
    enrolled_at TEXT NOT NULL,
    revoked_at TEXT,
    last_seen_at TEXT,
    last_seq BIGINT NOT NULL DEFAULT 0,
    last_hash TEXT
);

CREATE TABLE IF NOT EXISTS enroll_codes (
    code_hash TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    used_by TEXT
);

CREATE TABLE IF NOT EXISTS admin_tokens (
    token_hash TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

-- The central service's own Ed25519 key for web-order tickets. Kept in the database so every service process
-- and every admin command on any machine signs with the same key; guard database backups accordingly.
CREATE TABLE IF NOT EXISTS signing_keys (
    key_id TEXT PRIMARY KEY,
    public_key TEXT NOT NULL,
    private_pem TEXT NOT NULL,
    created_at TEXT NOT NULL,
    retired_at TEXT
);

-- Every terminal's journal, each entry once by id.
CREATE TABLE IF NOT EXISTS journal (
    id TEXT PRIMARY KEY,
    terminal_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    at TEXT NOT NULL,
    operator_id TEXT,
    payload TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    received_at TEXT NOT NULL,
    UNIQUE (terminal_id, seq)
);

-- What terminals pull, in order. pos is handed out from counters('feed') under that row's lock, so positions
-- commit in order and a reader never skips a position that commits later. origin: the terminal whose action it
-- was (it does not get it back); audience: the one terminal it is for (NULL: everyone).
CREATE TABLE IF NOT EXISTS changes (
    pos BIGINT PRIMARY KEY,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    origin TEXT,
    audience TEXT,
    at TEXT NOT NULL
);

-- The first terminal to do each once-only action to each thing: ('pickup', ticket), ('refund', ticket),
-- ('checkin', ticket), ('seat', event/section/seat). A later one from another terminal is a conflict.
CREATE TABLE IF NOT EXISTS claims (
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    entry_id TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (action, subject)
);

CREATE TABLE IF NOT EXISTS conflicts (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    order_id TEXT,
    ticket_id TEXT,
    first_terminal TEXT NOT NULL,
    first_entry TEXT NOT NULL,
    first_at TEXT NOT NULL,
    second_terminal TEXT NOT NULL,
    second_entry TEXT NOT NULL,
    second_at TEXT NOT NULL,
    rule TEXT NOT NULL,
    at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS catalogs (
    sha256 TEXT PRIMARY KEY,
    doc TEXT NOT NULL,
    published_at TEXT NOT NULL
);

-- The published catalogue's events, with the built model (sections, seats, types, prices) web orders check against.
CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    currency TEXT NOT NULL,
    model TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS orders (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    ref TEXT UNIQUE,                   -- the shop's own order reference (web orders): importing twice adds nothing
    event_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    terminal_id TEXT,
    status TEXT NOT NULL,
    customer_name TEXT,
    email TEXT,
    phone TEXT,
    notes TEXT,
    total BIGINT NOT NULL,
    tax BIGINT NOT NULL,
    currency TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS tickets (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    section_id TEXT NOT NULL,
    row_label TEXT,
    seat TEXT,
    ticket_type_id TEXT NOT NULL,
    price BIGINT NOT NULL,
    tax BIGINT NOT NULL,
    token TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'valid'
);
CREATE INDEX IF NOT EXISTS tickets_order ON tickets (order_id);

CREATE TABLE IF NOT EXISTS revocations (
    ticket_id TEXT PRIMARY KEY,
    revoked_at TEXT NOT NULL,
    reason TEXT NOT NULL,
    origin TEXT
);
