-- Seats held in a basket at the counter (services/seat_holds.py): while a customer decides, the seats they chose
-- are kept from every other basket and sale on this database for a few minutes. A hold ends when its basket is
-- cancelled or sold, or when expires_at passes (read against the clock; expired rows are deleted when next seen).
CREATE TABLE seat_holds (
    event_id TEXT NOT NULL,
    section_id TEXT NOT NULL,
    label TEXT NOT NULL,
    basket_id TEXT NOT NULL,
    operator_id TEXT,
    held_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    PRIMARY KEY (event_id, section_id, label)
);
CREATE INDEX seat_holds_basket ON seat_holds (basket_id);
CREATE INDEX seat_holds_expiry ON seat_holds (expires_at);
