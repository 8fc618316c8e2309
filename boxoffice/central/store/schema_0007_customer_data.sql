-- Central schema version 7: customer data kept apart in the feed, and admin tokens that can be told apart.
-- Portable SQL (PostgreSQL and SQLite); run once by central/schema.py, never edited after release.

-- A change that carries a customer's name, e-mail, phone or notes (an order or a web order) is stored twice:
-- ``body`` without them (what every terminal may pull) and ``private_body`` with them (only for a terminal whose
-- role needs them: central/services/feed.py). NULL: the change carries no customer data. Rows written before this
-- version are split by the step that runs after this file (central/store/feed.py ``split_stored``).
ALTER TABLE changes ADD COLUMN private_body TEXT;

-- An admin token's public handle: ``id`` (the first 12 hex digits of its hash) to name it in `central admin-token
-- revoke`, ``prefix`` (its first characters, shown to recognise it; NULL for tokens made before this version) and a
-- ``name`` the admin gave it. The token itself is never stored.
ALTER TABLE admin_tokens ADD COLUMN id TEXT;
ALTER TABLE admin_tokens ADD COLUMN prefix TEXT;
ALTER TABLE admin_tokens ADD COLUMN name TEXT;
UPDATE admin_tokens SET id = substr(token_hash, 1, 12);
CREATE UNIQUE INDEX admin_tokens_id ON admin_tokens (id);
