-- Sessions a copied database row cannot carry, and lockouts a supervisor can lift (services/operators.py).
--
-- A session ends at expires_at at the latest and carries a seal made with a key kept outside the database
-- (<db>.session-key, domain/sessions.py): a session of an older release has no seal and is not honoured, so the
-- operator logs in again once after the upgrade.
ALTER TABLE session ADD COLUMN expires_at TEXT;
ALTER TABLE session ADD COLUMN seal TEXT;
