-- Central schema version 14: sales up to pretix (central/pretix/orders_up.py). A ticket's pretix position is
-- canceled when the terminal refunds or exchanges the ticket; ``canceled_at`` says it was, so a refund is sent once
-- and a round that stopped half-way picks up exactly the positions still to cancel.
ALTER TABLE pretix_tickets ADD COLUMN canceled_at TEXT;
CREATE INDEX pretix_orders_state ON pretix_orders (direction, state);
