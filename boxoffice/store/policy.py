"""The policy table: the venue's security and money settings as the catalogue gave them."""

from __future__ import annotations

import json
import sqlite3
from typing import Any


def read(conn: sqlite3.Connection) -> dict[str, Any]:
    """Setting -> value, for the settings the catalogue named."""
    return {k: json.loads(v) for k, v in conn.execute("SELECT key, value FROM policy ORDER BY key")}


def replace(conn: sqlite3.Connection, policy: dict[str, Any]) -> None:
    """Make ``policy`` the whole of it (inside the caller's transaction): a setting left out goes back to default."""
    conn.execute("DELETE FROM policy")
    conn.executemany("INSERT INTO policy (key, value) VALUES (?, ?)",
                     [(k, json.dumps(v)) for k, v in sorted(policy.items())])
