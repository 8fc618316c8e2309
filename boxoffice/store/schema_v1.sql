-- The terminal database, first release. Later changes are new migrations in migrations.py, never edits here.

CREATE TABLE terminal (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    tag TEXT NOT NULL,                -- order-code prefix, 3 characters
    key_id TEXT NOT NULL,             -- hex id of this terminal's signing key
    public_key TEXT NOT NULL,         -- base64 raw Ed25519 public key
    created_at TEXT NOT NULL,
    owns_inventory INTEGER NOT NULL DEFAULT 1,  -- 1 while no central service: the terminal owns every place
    next_order_seq INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE venue (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    timezone TEXT NOT NULL,
    currency TEXT NOT NULL
);

CREATE TABLE events (
    id TEXT PRIMARY KEY,
    venue_id TEXT NOT NULL REFERENCES venue(id),
    name TEXT NOT NULL,
    starts_at TEXT NOT NULL,          -- UTC, ISO 8601
    doors_at TEXT,
    timezone TEXT NOT NULL,
    currency TEXT NOT NULL,
    tax_rate_bp INTEGER NOT NULL DEFAULT 0,
    per_order_limit INTEGER NOT NULL DEFAULT 10,
    reentry INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
);

CREATE TABLE sections (
    event_id TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('reserved', 'general')),
    capacity INTEGER NOT NULL CHECK (capacity >= 0),
    position INTEGER NOT NULL,
    -- general admission stock held by this terminal; sold can never pass allocated (the oversell guard)
    allocated INTEGER NOT NULL DEFAULT 0 CHECK (allocated >= 0),
    sold INTEGER NOT NULL DEFAULT 0 CHECK (sold >= 0 AND sold <= allocated),
    PRIMARY KEY (event_id, id)
);

CREATE TABLE seats (
    event_id TEXT NOT NULL,
    section_id TEXT NOT NULL,
    label TEXT NOT NULL,              -- row + number, e.g. B12
    row TEXT NOT NULL,
    number TEXT NOT NULL,
    row_index INTEGER NOT NULL,       -- 0 = front row
    seat_index INTEGER NOT NULL,      -- order within the row, left to right
    x REAL NOT NULL,                  -- horizontal position; aisles add a gap
    aisle_before INTEGER NOT NULL DEFAULT 0,
    wheelchair INTEGER NOT NULL DEFAULT 0,
    companion INTEGER NOT NULL DEFAULT 0,
    restricted_view INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'free' CHECK (status IN ('free', 'held', 'sold')),
    allocated INTEGER NOT NULL DEFAULT 1,   -- in this terminal's allocation
    ticket_id TEXT,
    PRIMARY KEY (event_id, section_id, label),
    FOREIGN KEY (event_id, section_id) REFERENCES sections(event_id, id) ON DELETE CASCADE,
    CHECK (status <> 'sold' OR allocated = 1)
);
CREATE INDEX seats_row ON seats(event_id, section_id, row_index, seat_index);

CREATE TABLE ticket_types (
    event_id TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    per_order_limit INTEGER,
    needs_supervisor INTEGER NOT NULL DEFAULT 0,   -- comps
    position INTEGER NOT NULL,
    PRIMARY KEY (event_id, id)
);

CREATE TABLE prices (
    event_id TEXT NOT NULL,
    ticket_type_id TEXT NOT NULL,
    section_id TEXT NOT NULL,
    amount INTEGER NOT NULL CHECK (amount >= 0),
    PRIMARY KEY (event_id, ticket_type_id, section_id),
    FOREIGN KEY (event_id, ticket_type_id) REFERENCES ticket_types(event_id, id) ON DELETE CASCADE,
    FOREIGN KEY (event_id, section_id) REFERENCES sections(event_id, id) ON DELETE CASCADE
);

CREATE TABLE refund_tiers (
    event_id TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    until_hours_before INTEGER NOT NULL,
    fee_bp INTEGER,                   -- fee as basis points of the price
    fee_fixed INTEGER,                -- or a fixed fee per ticket, minor units
    PRIMARY KEY (event_id, position)
);

CREATE TABLE operators (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    role TEXT NOT NULL CHECK (role IN ('seller', 'pickup', 'door', 'supervisor', 'admin')),
    pin_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE session (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    operator_id TEXT NOT NULL REFERENCES operators(id),
    since TEXT NOT NULL,
    last_seen TEXT NOT NULL
);

-- What happened on this terminal, append-only, each entry chained by hash to the one before.
CREATE TABLE journal (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    terminal_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    operator_id TEXT,
    at TEXT NOT NULL,
    payload TEXT NOT NULL,            -- canonical JSON
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    pushed_at TEXT                    -- set once the central service has it
);
CREATE INDEX journal_kind ON journal(kind, at);

CREATE TABLE keys (
    key_id TEXT PRIMARY KEY,          -- hex, 4 bytes
    public_key TEXT NOT NULL,         -- base64 raw Ed25519
    owner TEXT NOT NULL,              -- 'terminal:<id>' or 'central'
    added_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE TABLE revocations (
    ticket_id TEXT PRIMARY KEY,
    revoked_at TEXT NOT NULL,
    reason TEXT NOT NULL
);

CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    event_id TEXT NOT NULL REFERENCES events(id),
    channel TEXT NOT NULL DEFAULT 'box_office',   -- box_office | web | ...
    terminal_id TEXT,
    status TEXT NOT NULL DEFAULT 'paid' CHECK (status IN ('paid', 'unpaid', 'refunded', 'part_refunded')),
    customer_name TEXT,
    email TEXT,
    phone TEXT,
    notes TEXT,
    total INTEGER NOT NULL,
    tax INTEGER NOT NULL DEFAULT 0,
    currency TEXT NOT NULL,
    created_at TEXT NOT NULL,
    operator_id TEXT
);
CREATE INDEX orders_event ON orders(event_id);

CREATE TABLE tickets (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders(id),
    event_id TEXT NOT NULL,
    section_id TEXT NOT NULL,
    row TEXT,
    seat TEXT,
    ticket_type_id TEXT NOT NULL,
    price INTEGER NOT NULL,
    tax INTEGER NOT NULL DEFAULT 0,
    token TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL DEFAULT 'valid' CHECK (status IN ('valid', 'refunded', 'exchanged')),
    picked_up_at TEXT,
    picked_up_by TEXT,
    copies INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX tickets_order ON tickets(order_id);
CREATE INDEX tickets_event ON tickets(event_id, section_id);

CREATE TABLE payments (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders(id),
    kind TEXT NOT NULL DEFAULT 'payment' CHECK (kind IN ('payment', 'refund')),
    tender TEXT NOT NULL CHECK (tender IN ('cash', 'card', 'comp')),
    amount INTEGER NOT NULL CHECK (amount >= 0),
    tendered INTEGER,
    change INTEGER,
    card_last4 TEXT CHECK (card_last4 IS NULL OR (length(card_last4) = 4 AND card_last4 GLOB '[0-9][0-9][0-9][0-9]')),
    reference TEXT,
    comp_reason TEXT,
    approved_by TEXT,
    shift_id TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX payments_order ON payments(order_id);

CREATE TABLE print_jobs (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    kind TEXT NOT NULL,               -- tickets | receipt | test | report
    order_id TEXT,
    printer_uri TEXT NOT NULL,
    profile TEXT,
    document TEXT NOT NULL,           -- the layout as JSON: rendered again on retry
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'printed', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    printed_at TEXT
);
CREATE INDEX print_jobs_status ON print_jobs(status);
