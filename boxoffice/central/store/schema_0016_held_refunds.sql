-- Central schema version 16: held foreign refunds the admin released (central/services/held.py). A refund held
-- past its sender's hourly cap (``foreign_refund_held`` in conflicts) is applied whole once the admin has checked
-- it, and only once: this row says when and how many tickets it revoked.
CREATE TABLE held_releases (
    entry_id TEXT PRIMARY KEY,
    conflict_id TEXT NOT NULL,
    released_at TEXT NOT NULL,
    tickets INTEGER NOT NULL
);
