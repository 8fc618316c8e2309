-- Central schema version 13: the pretix bridge's own bookkeeping (central/pretix/, docs/pretix.md). Empty unless the
-- service runs in bridge mode. What each boxoffice id is in pretix, the voucher that blocks each terminal's places,
-- which orders crossed in which direction, each ticket's pretix secret, which check-ins went up, and where each
-- pull stopped.
CREATE TABLE pretix_links (
    kind TEXT NOT NULL,
    local_id TEXT NOT NULL,
    pretix_event TEXT NOT NULL,
    pretix_id TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (kind, local_id)
);
CREATE INDEX pretix_links_remote ON pretix_links (kind, pretix_event, pretix_id);
CREATE TABLE pretix_vouchers (
    terminal_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    section_id TEXT NOT NULL,
    seat TEXT NOT NULL DEFAULT '',
    pretix_event TEXT NOT NULL,
    voucher_id BIGINT NOT NULL,
    code TEXT NOT NULL,
    max_usages INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (terminal_id, event_id, section_id, seat)
);
CREATE TABLE pretix_orders (
    order_id TEXT PRIMARY KEY,
    direction TEXT NOT NULL,
    pretix_event TEXT NOT NULL,
    pretix_code TEXT,
    state TEXT NOT NULL,
    error TEXT,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX pretix_orders_code ON pretix_orders (pretix_event, pretix_code);
CREATE TABLE pretix_tickets (
    ticket_id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL,
    pretix_event TEXT NOT NULL,
    position_id BIGINT NOT NULL,
    secret TEXT NOT NULL
);
CREATE INDEX pretix_tickets_secret ON pretix_tickets (pretix_event, secret);
CREATE TABLE pretix_checkins (
    entry_id TEXT NOT NULL,
    ticket_id TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    pretix_event TEXT NOT NULL,
    state TEXT NOT NULL,
    result TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (entry_id, ticket_id)
);
CREATE TABLE pretix_state (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
