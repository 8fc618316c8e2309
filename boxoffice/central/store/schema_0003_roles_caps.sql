-- Central schema version 3: terminal roles, allocation caps, held seats released on purpose.
-- Portable SQL (PostgreSQL and SQLite); run once by central/schema.py, never edited after release.

-- The roles a terminal was enrolled for (comma-separated: sell, pickup, door), named by its enrollment code. A
-- terminal without 'sell' gets no places. Codes and terminals from before roles existed keep every role.
ALTER TABLE enroll_codes ADD COLUMN roles TEXT NOT NULL DEFAULT 'sell,pickup,door';
ALTER TABLE terminals ADD COLUMN roles TEXT NOT NULL DEFAULT 'sell,pickup,door';

-- The most unsold places of one section a top-up leaves this terminal holding (NULL: meta 'allocation_cap').
ALTER TABLE terminals ADD COLUMN allocation_cap BIGINT;
INSERT INTO meta (key, value) VALUES ('allocation_cap', '50') ON CONFLICT (key) DO NOTHING;

-- The held (house) seats a grant released to its terminal on purpose (`central allocate --include-held`), as a JSON
-- list; NULL for every other move.
ALTER TABLE allocation_moves ADD COLUMN held_released TEXT;

-- What a terminal has sold, read on every top-up to keep it within its cap.
CREATE INDEX orders_terminal ON orders (terminal_id, event_id);
