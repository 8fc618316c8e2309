-- Central schema version 19: admissions the admin withdrew from a revoked terminal (central/services/
-- withdrawals.py), so that reports count them apart from real ones. The withdrawals made before this version are
-- known by the row they left for the pretix bridge.
CREATE TABLE withdrawn_checkins (
    entry_id TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    withdrawn_at TEXT NOT NULL,
    PRIMARY KEY (entry_id, ticket_id)
);
INSERT INTO withdrawn_checkins (entry_id, ticket_id, withdrawn_at)
    SELECT entry_id, ticket_id, updated_at FROM pretix_checkins WHERE result = 'withdrawn by the admin';
