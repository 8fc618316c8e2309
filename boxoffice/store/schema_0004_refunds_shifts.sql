-- Refunds, exchanges, shifts and cash movements.
--
-- Money that goes back out is a payment row of kind 'refund' (payments.reference names the payment it returns),
-- so every tender total, sale or refund, comes from one table. The tables here say why the money moved and which
-- tickets it concerned; refund_items and exchange_items hold each ticket at most once, so the database itself
-- refuses a second refund (or an exchange after a refund) of the same ticket.

CREATE TABLE refunds (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders(id),
    at TEXT NOT NULL,
    operator_id TEXT NOT NULL REFERENCES operators(id),
    approved_by TEXT REFERENCES operators(id),      -- the supervisor whose PIN allowed an override
    override INTEGER NOT NULL DEFAULT 0 CHECK (override IN (0, 1)),
    override_why TEXT,                              -- outside_policy, above_limit, other_channel (comma separated)
    reason_code TEXT NOT NULL CHECK (reason_code IN
        ('cancelled', 'customer_request', 'duplicate', 'wrong_tickets', 'other')),
    note TEXT,
    tier INTEGER,                                   -- refund_tiers.position that priced it; NULL outside policy
    amount INTEGER NOT NULL CHECK (amount >= 0),    -- what went back to the customer
    fee INTEGER NOT NULL DEFAULT 0 CHECK (fee >= 0),
    shift_id TEXT REFERENCES shifts(id)
);
CREATE INDEX refunds_order ON refunds(order_id);
CREATE INDEX refunds_shift ON refunds(shift_id);

CREATE TABLE refund_items (
    refund_id TEXT NOT NULL REFERENCES refunds(id),
    ticket_id TEXT NOT NULL UNIQUE REFERENCES tickets(id),   -- a ticket is refunded once
    price INTEGER NOT NULL,
    fee INTEGER NOT NULL CHECK (fee >= 0 AND fee <= price),
    amount INTEGER NOT NULL CHECK (amount = price - fee)
);
CREATE INDEX refund_items_refund ON refund_items(refund_id);

CREATE TABLE exchanges (
    id TEXT PRIMARY KEY,
    from_order_id TEXT NOT NULL REFERENCES orders(id),
    to_order_id TEXT NOT NULL UNIQUE REFERENCES orders(id),
    at TEXT NOT NULL,
    operator_id TEXT NOT NULL REFERENCES operators(id),
    approved_by TEXT REFERENCES operators(id),
    override INTEGER NOT NULL DEFAULT 0 CHECK (override IN (0, 1)),
    override_why TEXT,
    credit INTEGER NOT NULL CHECK (credit >= 0),    -- the old tickets' price, credited in full
    new_total INTEGER NOT NULL CHECK (new_total >= 0),
    difference INTEGER NOT NULL,                    -- new_total - credit: > 0 paid by the customer, < 0 refunded
    note TEXT,
    shift_id TEXT REFERENCES shifts(id)
);
CREATE INDEX exchanges_from ON exchanges(from_order_id);
CREATE INDEX exchanges_shift ON exchanges(shift_id);

CREATE TABLE exchange_items (
    exchange_id TEXT NOT NULL REFERENCES exchanges(id),
    ticket_id TEXT NOT NULL UNIQUE REFERENCES tickets(id)    -- the old ticket, exchanged once
);
CREATE INDEX exchange_items_exchange ON exchange_items(exchange_id);

CREATE TABLE shifts (
    id TEXT PRIMARY KEY,
    operator_id TEXT NOT NULL REFERENCES operators(id),
    terminal_id TEXT NOT NULL,
    currency TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    float INTEGER NOT NULL CHECK (float >= 0),
    closed_at TEXT,
    closed_by TEXT REFERENCES operators(id),
    counted INTEGER CHECK (counted IS NULL OR counted >= 0),
    expected INTEGER,
    variance INTEGER,                               -- counted - expected: negative is cash missing
    CHECK ((closed_at IS NULL) = (counted IS NULL))
);
-- One open shift per operator and terminal: the drawer has one owner at a time.
CREATE UNIQUE INDEX shifts_one_open ON shifts(operator_id, terminal_id) WHERE closed_at IS NULL;

CREATE TABLE cash_movements (
    id TEXT PRIMARY KEY,
    shift_id TEXT NOT NULL REFERENCES shifts(id),
    kind TEXT NOT NULL CHECK (kind IN ('in', 'out', 'drawer')),   -- drawer: opened with no sale (amount 0)
    amount INTEGER NOT NULL CHECK (amount >= 0 AND (kind <> 'drawer' OR amount = 0)),
    reason TEXT NOT NULL,
    at TEXT NOT NULL,
    operator_id TEXT NOT NULL REFERENCES operators(id)
);
CREATE INDEX cash_movements_shift ON cash_movements(shift_id);

CREATE INDEX payments_shift ON payments(shift_id);
CREATE INDEX payments_reference ON payments(reference);
