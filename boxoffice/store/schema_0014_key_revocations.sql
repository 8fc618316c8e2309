-- The key registry carries when each terminal key's terminal was revoked: the door refuses a ticket signed with
-- that key unless what this terminal synced shows it was sold before then (services/door.py). Kept apart from
-- keys.revoked_at, which distrusts a key for every use (pickup, lookups, the door) whatever its tickets' age.
ALTER TABLE keys ADD COLUMN terminal_revoked_at TEXT;
-- Revocations pulled before this release were noted per terminal (sync_peers); the registry takes them over.
UPDATE keys SET terminal_revoked_at = (SELECT min(p.revoked_at) FROM sync_peers p
                                       WHERE p.key_id = keys.key_id AND p.revoked_at IS NOT NULL)
WHERE terminal_revoked_at IS NULL;
