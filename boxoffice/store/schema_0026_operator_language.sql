-- An operator's own language (issue 19): the screen speaks it while they are logged in, whatever the venue's
-- language is (receipts and tickets keep the venue's). Existing operators keep theirs unset: the venue's, or the
-- system's, as before.
ALTER TABLE operators ADD COLUMN language TEXT CHECK (language IS NULL OR language IN ('en', 'zh_CN'));
