-- Central schema version 12: limits per customer. The customer keys of every order the service knows (a terminal's
-- sale carries them in its journal entry; a web order's are computed at import with the venue secret): keyed
-- hashes only, never the phone, e-mail or ID number, with the places the order gave that customer. Counted by the
-- online check (POST /v1/customer-limits) and at sync, where a customer over an event's cap is flagged.
CREATE TABLE customer_keys (
    order_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    places INTEGER NOT NULL,
    terminal_id TEXT NOT NULL,
    entry_id TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (order_id, key_hash)
);
CREATE INDEX customer_keys_event ON customer_keys (event_id, key_hash);
