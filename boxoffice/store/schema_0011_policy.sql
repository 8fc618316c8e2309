-- The venue's security and money settings, from the catalogue last imported or published (services/policy.py).
-- One row per setting the catalogue names; a setting with no row takes its default. A local config file never
-- writes here.
CREATE TABLE policy (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL                   -- JSON
);
