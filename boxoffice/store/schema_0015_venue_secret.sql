-- The venue secret: the key of the HMAC that ID numbers, phones and e-mails are matched by (domain/customer_ids.py),
-- so that none is ever stored or synced in full. One row. ``source`` says where it came from: 'local' (made here,
-- for a terminal that was never enrolled) or 'central' (the central service's, shared by every enrolled terminal,
-- so that a customer is the same customer at every counter).
CREATE TABLE venue_secret (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    secret TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('local', 'central')),
    set_at TEXT NOT NULL
);
