-- Limits per customer (services/customer_limits.py). An event may cap the tickets one customer buys across orders,
-- counters and the web shop. ``per_customer_limit`` NULL: no cap (every event before this migration).
ALTER TABLE events ADD COLUMN per_customer_limit INTEGER;

-- The customer keys of each order this terminal knows: keyed hashes (HMAC under the venue secret, never the phone,
-- e-mail or ID number) with the places the order gave that customer. ``source`` is 'own' (sold here; journal_seq is
-- the sale's journal entry, so the terminal knows which of its own sales the central service has not counted yet)
-- or 'pulled' (another terminal's sale or a web order, from the feed).
CREATE TABLE customer_keys (
    order_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    places INTEGER NOT NULL CHECK (places > 0),
    source TEXT NOT NULL CHECK (source IN ('own', 'pulled')),
    journal_seq INTEGER,
    PRIMARY KEY (order_id, key_hash)
);
CREATE INDEX customer_keys_event ON customer_keys(event_id, key_hash);
