-- Central schema version 8: the venue secret, the key of the HMAC that ID numbers, phones and e-mails are matched
-- by (boxoffice/domain/customer_ids.py). One row, made on first use by central/services/venue_secret.py; handed to
-- each terminal when it enrolls (and to terminals enrolled before this version at their next sync), so that a
-- customer hashes alike at every counter. Guard the database like a key file: it holds this and the signing key.
CREATE TABLE venue_secrets (
    id INTEGER PRIMARY KEY,
    secret TEXT NOT NULL,
    created_at TEXT NOT NULL
);
