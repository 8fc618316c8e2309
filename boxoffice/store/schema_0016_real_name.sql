-- Real-name tickets (docs/real-name.md). An event marked real-name in the catalogue sells each ticket to a named
-- holder; ``holder_changes_max`` caps how often a ticket's holder may be changed at the counter (NULL: no cap).
ALTER TABLE events ADD COLUMN real_name INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN holder_changes_max INTEGER;

-- One holder a ticket: the name (the one place it is kept: a privacy purge clears it here), the ID document's
-- kind, the keyed hash of its number under the venue secret and its last four characters. Never the number.
-- ``changes`` counts the holder changes that led to this ticket (0 for a ticket as sold). ``binding_key`` and
-- ``binding`` are the Ed25519 signature (tickets/holder_binding.py) by the key that signed the ticket's token over
-- the ticket id, its token and these fields, so that a row edited by hand is refused at the door.
CREATE TABLE ticket_holders (
    ticket_id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    name TEXT,
    id_kind TEXT NOT NULL CHECK (id_kind IN ('resident', 'passport', 'other')),
    id_hash TEXT NOT NULL,
    id_last4 TEXT NOT NULL,
    changes INTEGER NOT NULL DEFAULT 0,
    binding_key TEXT NOT NULL,
    binding TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX ticket_holders_order ON ticket_holders(order_id);
CREATE INDEX ticket_holders_hash ON ticket_holders(event_id, id_hash);

-- Each holder change: the ticket replaced and the one that replaced it (same order, same place, same price). The
-- replaced ticket stays in the order as ``exchanged`` for the record, but its price is not counted twice: the
-- order's ticket prices and each ticket's share of what was paid leave it out (store/refunds.py).
CREATE TABLE holder_changes (
    old_ticket_id TEXT PRIMARY KEY REFERENCES tickets(id),
    new_ticket_id TEXT NOT NULL UNIQUE REFERENCES tickets(id),
    order_id TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    approved_by TEXT NOT NULL
);
