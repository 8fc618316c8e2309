-- Central schema version 17: each terminal's share of the journal in the current hour (central/services/
-- journal_quota.py): the bytes of its pushes this hour, and when it last went past its share.
ALTER TABLE terminals ADD COLUMN journal_hour TEXT;
ALTER TABLE terminals ADD COLUMN journal_hour_bytes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE terminals ADD COLUMN journal_quota_hit_at TEXT;
