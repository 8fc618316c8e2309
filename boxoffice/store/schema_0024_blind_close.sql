-- The blind close (issue 18): the drawer is counted, and the count fixed, before the expected cash is shown; a
-- variance is closed only with a note and a supervisor's approval. Existing shifts keep their rows: the new columns
-- are empty for them (closed before a count was recorded apart from the close).
ALTER TABLE shifts ADD COLUMN drawer_count INTEGER CHECK (drawer_count IS NULL OR drawer_count >= 0);
ALTER TABLE shifts ADD COLUMN drawer_counted_at TEXT;
ALTER TABLE shifts ADD COLUMN drawer_pieces TEXT;                 -- JSON {value in minor units: pieces}, or NULL
ALTER TABLE shifts ADD COLUMN variance_note TEXT;
ALTER TABLE shifts ADD COLUMN variance_approved_by TEXT REFERENCES operators(id);
