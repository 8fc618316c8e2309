-- Central schema version 15: what the pretix bridge's check-in step (central/pretix/checkins_up.py) looks up every
-- round. Pickups and door check-ins are found by kind in the journal (oldest first) without reading every sale, and
-- the check-ins still waiting for a ticket's pretix secret without reading every one sent.
CREATE INDEX journal_kind_at ON journal (kind, at);
CREATE INDEX pretix_checkins_state ON pretix_checkins (state);
