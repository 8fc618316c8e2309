-- Central schema version 9: real-name ticket holders (docs/real-name.md).
-- Portable SQL (PostgreSQL and SQLite); run once by central/schema.py, never edited after release.

-- One holder a ticket, as the terminal that issued the ticket journaled it: the name, the ID document's kind, the
-- keyed hash of its number under the venue secret and its last four characters. Never the number itself.
-- ``binding`` is the signature of the key that signed the ticket's token (``binding_key``) over the ticket, its
-- token and these fields (tickets/holder_binding.py). ``changes`` counts the holder changes that led to the ticket.
CREATE TABLE ticket_holders (
    ticket_id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    name TEXT,
    id_kind TEXT NOT NULL,
    id_hash TEXT NOT NULL,
    id_last4 TEXT NOT NULL,
    changes BIGINT NOT NULL DEFAULT 0,
    binding_key TEXT NOT NULL,
    binding TEXT NOT NULL,
    created_at TEXT NOT NULL,
    replaces TEXT
);
-- ``replaces``: for a holder change, the ticket this one replaced (same order, place and price), which the sales
-- reports then leave out so the place is counted once.
CREATE INDEX ticket_holders_order ON ticket_holders (order_id);
CREATE INDEX ticket_holders_hash ON ticket_holders (event_id, id_hash);
