-- What a terminal pins when it enrolls: the central service's public key (which signs what the terminal pulls),
-- whether plain http to a host other than loopback was allowed on purpose, and a CA bundle to verify https with.
ALTER TABLE sync_state ADD COLUMN central_key_id TEXT;
ALTER TABLE sync_state ADD COLUMN central_public_key TEXT;
ALTER TABLE sync_state ADD COLUMN insecure INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sync_state ADD COLUMN ca_bundle TEXT;
