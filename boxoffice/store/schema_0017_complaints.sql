-- Customers' complaints written down at the counter or the door (services/complaints.py), each journalled
-- (complaint.add, complaint.close) so the central service learns them at the next sync. This terminal's own only.

CREATE TABLE complaints (
    id TEXT PRIMARY KEY,
    category TEXT NOT NULL CHECK (category IN ('queue', 'staff', 'price', 'refund', 'seat', 'safety', 'access',
                                               'other')),
    event_id TEXT,                    -- the event it is about (given, or the order's): NULL for the venue at large
    order_id TEXT,                    -- the order or ticket it concerns, when there is one
    order_code TEXT,
    ticket_id TEXT,
    note TEXT,
    at TEXT NOT NULL,
    operator_id TEXT,                 -- who wrote it down
    closed_at TEXT,
    closed_by TEXT,
    close_note TEXT
);
CREATE INDEX complaints_at ON complaints(at);
CREATE INDEX complaints_open ON complaints(closed_at, at);
