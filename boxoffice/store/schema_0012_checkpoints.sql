-- Signed checkpoints of the journal (domain/checkpoints.py): the chain's head at some moment, signed with this
-- terminal's Ed25519 key, whose private half is a file outside this database. A rewrite of the journal that
-- recomputes every hash still leaves every checkpoint signed before it pointing at the old hashes.
CREATE TABLE checkpoints (
    id INTEGER PRIMARY KEY,
    seq INTEGER NOT NULL,                 -- the journal entry signed
    hash TEXT NOT NULL,                   -- its hash when signed
    key_id TEXT NOT NULL,                 -- hex id of the key that signed
    signature TEXT NOT NULL,              -- base64 Ed25519 signature of domain.checkpoints.message(...)
    at TEXT NOT NULL,
    why TEXT NOT NULL,                    -- 'entries', 'shift.close' or 'sync'
    pushed_at TEXT                        -- when the central service accepted it
);
CREATE INDEX checkpoints_seq ON checkpoints(seq);
