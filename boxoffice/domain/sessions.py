"""A login session that a copied database row cannot forge or carry to another terminal.

The session row in the database names the operator, when they logged in and when the login ends at the latest.
It also carries a seal: an HMAC-SHA256 of those fields and the terminal's id under a key kept outside the database
(``<db>.session-key``, mode 0600, store/session_key.py). Whoever copies the database, or writes a row into it, has
no key: a row they made, changed or copied from another terminal does not verify and nobody is logged in.
"""

from __future__ import annotations

import hashlib
import hmac

# The longest a login lasts, however busy the terminal: a day's shifts, never the next day's.
MAX_HOURS = 24


def _message(terminal_id: str, operator_id: str, since: str, expires_at: str) -> bytes:
    return "\x1f".join(("boxoffice.session/1", terminal_id, operator_id, since, expires_at)).encode()


def seal(key: bytes, terminal_id: str, operator_id: str, since: str, expires_at: str) -> str:
    """The seal stored with a session row."""
    return hmac.new(key, _message(terminal_id, operator_id, since, expires_at), hashlib.sha256).hexdigest()


def verify(key: bytes | None, terminal_id: str, row: dict) -> bool:
    """True when the session ``row`` was sealed with ``key`` on this terminal (a missing key or seal: False)."""
    if not key or not row.get("seal") or not row.get("expires_at"):
        return False
    want = seal(key, terminal_id, row["operator_id"], row["since"], row["expires_at"])
    return hmac.compare_digest(want, row["seal"])
