"""The central database: the PostgreSQL/SQLite adapter, the numbered schema migrations and every SQL query."""
