-- Doors that admit pretix tickets (the pretix bridge, issue 20).
--
-- A web order that came from pretix carries each ticket's pretix secret: scanning that text at the door finds the
-- ticket and checks it in as any other. Partial index: only pretix tickets have one.
ALTER TABLE tickets ADD COLUMN external_secret TEXT;
CREATE INDEX tickets_external_secret ON tickets(external_secret) WHERE external_secret IS NOT NULL;

-- A pretix_sig1 ticket verified offline before its order synced has no ticket id here: its scans carry the
-- secret, so a second scan of it is "already in", and the journal entry tells the central service which it was.
ALTER TABLE checkins ADD COLUMN external_secret TEXT;
CREATE INDEX checkins_external_secret ON checkins(external_secret, result, at) WHERE external_secret IS NOT NULL;

-- The event's pretix block from the catalogue, as JSON: {"event": slug, "sig1_keys": [base64 of a PEM, ...]}.
ALTER TABLE events ADD COLUMN pretix TEXT;

-- pretix secrets that no longer admit (an order canceled, a secret changed): pretix's revokedsecrets/, through
-- the feed. Kept per event; a secret is looked up whatever its event, since it is refused anyway.
CREATE TABLE revoked_external_secrets (
    secret TEXT NOT NULL,
    event_id TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (secret, event_id)
);
