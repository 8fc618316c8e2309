"""Queries of the enrolled terminals (``terminals``): who they are, their roles, cap and how far their journal got."""

from __future__ import annotations

from typing import Any

from boxoffice.central.store.db import CentralDB


def enrolled(db: CentralDB, terminal_id: str) -> dict[str, Any] | None:
    """An enrolled, not revoked terminal's ``id``, ``name`` and ``roles``."""
    return db.one("SELECT id, name, roles FROM terminals WHERE id = ? AND revoked_at IS NULL", (terminal_id,))


def seller(db: CentralDB, terminal_id: str) -> dict[str, Any] | None:
    """A terminal's ``name``, ``roles`` and own ``allocation_cap`` (revoked or not)."""
    return db.one("SELECT name, roles, allocation_cap FROM terminals WHERE id = ?", (terminal_id,))


def progress(db: CentralDB, terminal_id: str) -> dict[str, Any] | None:
    """A terminal's ``id``, ``name``, ``last_seq`` and ``revoked_at``."""
    return db.one("SELECT id, name, last_seq, revoked_at FROM terminals WHERE id = ?", (terminal_id,))


def last_seq(db: CentralDB, terminal_id: str) -> int:
    return int(db.scalar("SELECT last_seq FROM terminals WHERE id = ?", (terminal_id,)) or 0)


def names(db: CentralDB, *, active_only: bool = False) -> dict[str, str]:
    """Terminal id -> name (every terminal, or only those not revoked)."""
    sql = "SELECT id, name FROM terminals" + (" WHERE revoked_at IS NULL" if active_only else "")
    return {r["id"]: r["name"] for r in db.all(sql)}


def set_cap(db: CentralDB, terminal_id: str, cap: int | None) -> None:
    db.execute("UPDATE terminals SET allocation_cap = ? WHERE id = ?", (cap, terminal_id))


def named(db: CentralDB, which: str, *, active: bool) -> list[dict[str, Any]]:
    """The terminals whose id, name or tag is ``which`` (only those not revoked, when ``active``)."""
    alive = " AND revoked_at IS NULL" if active else ""
    return db.all(f"SELECT id, name, roles, allocation_cap FROM terminals WHERE (id = ? OR name = ? OR tag = ?){alive}",
                  (which, which, which.upper()))


def seen(db: CentralDB, terminal_id: str, now: str) -> None:
    """Note a terminal was heard from (and, on PostgreSQL, lock its row for the rest of the transaction)."""
    db.execute("UPDATE terminals SET last_seen_at = ? WHERE id = ?", (now, terminal_id))


def advance_journal(db: CentralDB, terminal_id: str, seq: int, hash_: str) -> None:
    """Move a terminal's newest entry forward (never back)."""
    db.execute("UPDATE terminals SET last_seq = ?, last_hash = ? WHERE id = ? AND last_seq < ?",
               (seq, hash_, terminal_id, seq))


# -- enrollment and credentials -----------------------------------------------------------------------------------

def add_enroll_code(db: CentralDB, code_hash: str, name: str, now: str, expires_at: str, roles: str,
                    readmit: bool = False) -> None:
    db.execute("INSERT INTO enroll_codes (code_hash, name, created_at, expires_at, roles, readmit)"
               " VALUES (?, ?, ?, ?, ?, ?)", (code_hash, name, now, expires_at, roles, int(readmit)))


def live_code(db: CentralDB, code_hash: str, now: str) -> dict[str, Any] | None:
    """An unused, unexpired code's ``name``, ``roles`` and ``readmit``, or None."""
    return db.one("SELECT name, roles, readmit FROM enroll_codes WHERE code_hash = ? AND used_at IS NULL"
                  " AND expires_at > ?", (code_hash, now))


def spend_enroll_code(db: CentralDB, code_hash: str, terminal_id: str, now: str) -> dict[str, Any] | None:
    """Mark an unused, unexpired code used by ``terminal_id``; its ``roles``, or None when there was no such code."""
    return db.one("UPDATE enroll_codes SET used_at = ?, used_by = ? WHERE code_hash = ? AND used_at IS NULL"
                  " AND expires_at > ? RETURNING roles", (now, terminal_id, code_hash, now))


def add_challenge(db: CentralDB, nonce_hash: str, code_hash: str, terminal_id: str, now: str,
                  expires_at: str) -> None:
    """A new enrollment nonce (its hash) for one code and one terminal id; expired ones are dropped here."""
    db.execute("DELETE FROM enroll_challenges WHERE expires_at <= ?", (now,))
    db.execute("INSERT INTO enroll_challenges (nonce_hash, code_hash, terminal_id, created_at, expires_at)"
               " VALUES (?, ?, ?, ?, ?)", (nonce_hash, code_hash, terminal_id, now, expires_at))


def spend_challenge(db: CentralDB, nonce_hash: str, code_hash: str, terminal_id: str, now: str) -> bool:
    """Mark a live nonce of this code and terminal used; False when there was none (unknown, used, expired, or
    given for another code or terminal)."""
    return db.one("UPDATE enroll_challenges SET used_at = ? WHERE nonce_hash = ? AND code_hash = ? AND"
                  " terminal_id = ? AND used_at IS NULL AND expires_at > ? RETURNING nonce_hash",
                  (now, nonce_hash, code_hash, terminal_id, now)) is not None


def by_id(db: CentralDB, terminal_id: str) -> dict[str, Any] | None:
    return db.one("SELECT * FROM terminals WHERE id = ?", (terminal_id,))


def by_tag(db: CentralDB, tag: str) -> dict[str, Any] | None:
    return db.one("SELECT * FROM terminals WHERE tag = ?", (tag,))


def by_name(db: CentralDB, name: str) -> dict[str, Any] | None:
    """A terminal by name, whatever the case."""
    return db.one("SELECT * FROM terminals WHERE lower(name) = lower(?)", (name,))


def by_token_hash(db: CentralDB, token_hash: str) -> dict[str, Any] | None:
    return db.one("SELECT * FROM terminals WHERE token_hash = ?", (token_hash,))


def other_with_tag(db: CentralDB, tag: str, terminal_id: str) -> dict[str, Any] | None:
    """Another terminal than ``terminal_id`` holding order-code tag ``tag``."""
    return db.one("SELECT id FROM terminals WHERE tag = ? AND id <> ?", (tag, terminal_id))


def re_enroll(db: CentralDB, terminal_id: str, name: str, token_hash: str, roles: str) -> None:
    db.execute("UPDATE terminals SET name = ?, token_hash = ?, revoked_at = NULL, roles = ? WHERE id = ?",
               (name, token_hash, roles, terminal_id))


def enroll(db: CentralDB, row: dict[str, Any]) -> None:
    """A new terminal: ``id``, ``name``, ``tag``, ``key_id``, ``public_key``, ``token_hash``, ``enrolled_at``,
    ``roles``."""
    db.execute("INSERT INTO terminals (id, name, tag, key_id, public_key, token_hash, enrolled_at, roles)"
               " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
               (row["id"], row["name"], row["tag"], row["key_id"], row["public_key"], row["token_hash"],
                row["enrolled_at"], row["roles"]))


def seen_since(db: CentralDB, terminal_id: str, now: str, unless_after: str) -> None:
    """Note a terminal was heard from, unless that was noted after ``unless_after`` already.

    On PostgreSQL a row locked by another transaction is skipped, not waited for: the lock is the terminal's own
    push (ingest locks its row first and notes it seen), so a pull it sends meanwhile is answered at once instead of
    queueing behind the whole batch, and the push records the time anyway. NO KEY: the lock an UPDATE of a column
    that no key uses takes, so rows being inserted for this terminal (which share-lock its key) are not skipped."""
    if db.postgres:
        db.execute("UPDATE terminals SET last_seen_at = ? WHERE id = (SELECT id FROM terminals WHERE id = ? AND"
                   " (last_seen_at IS NULL OR last_seen_at < ?) FOR NO KEY UPDATE SKIP LOCKED)",
                   (now, terminal_id, unless_after))
        return
    db.execute("UPDATE terminals SET last_seen_at = ? WHERE id = ? AND (last_seen_at IS NULL OR last_seen_at < ?)",
               (now, terminal_id, unless_after))


def admin_token(db: CentralDB, token_hash: str) -> dict[str, Any] | None:
    return db.one("SELECT revoked_at FROM admin_tokens WHERE token_hash = ?", (token_hash,))


ADMIN_TOKEN_COLUMNS = "id, prefix, name, created_at, revoked_at"  # never token_hash: nothing to guess from


def admin_tokens(db: CentralDB) -> list[dict[str, Any]]:
    """Every admin token's ``id``, ``prefix``, ``name``, ``created_at``, ``revoked_at``, oldest first."""
    return db.all(f"SELECT {ADMIN_TOKEN_COLUMNS} FROM admin_tokens ORDER BY created_at, id")


def admin_tokens_named(db: CentralDB, id_start: str, token_hash: str) -> list[dict[str, Any]]:
    """The admin tokens whose id starts with ``id_start`` (lower-case hex) or whose hash is ``token_hash``."""
    return db.all(f"SELECT {ADMIN_TOKEN_COLUMNS} FROM admin_tokens WHERE substr(id, 1, ?) = ? OR token_hash = ?"
                  " ORDER BY created_at, id", (len(id_start), id_start, token_hash))


def lock_live_admin_tokens(db: CentralDB) -> int:
    """Lock every live admin token's row for the caller's transaction (a write that changes nothing), so two
    revocations at once cannot each see the other's token live and leave none; returns how many are live."""
    return db.execute("UPDATE admin_tokens SET revoked_at = NULL WHERE revoked_at IS NULL")


def revoke_admin_token(db: CentralDB, token_id: str, now: str) -> bool:
    """Withdraw one admin token; False when it was withdrawn already."""
    return bool(db.execute("UPDATE admin_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                           (now, token_id)))


def revoke(db: CentralDB, terminal_id: str, now: str) -> bool:
    """Withdraw a terminal's credential; False when it was withdrawn already."""
    return bool(db.execute("UPDATE terminals SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                           (now, terminal_id)))


def roster(db: CentralDB) -> list[dict[str, Any]]:
    """Every terminal's id (as ``terminal_id``) and name, in order of enrollment."""
    return db.all("SELECT id AS terminal_id, name FROM terminals ORDER BY enrolled_at, id")


def listing(db: CentralDB) -> list[dict[str, Any]]:
    """Every terminal with what the admin list shows, in order of enrollment."""
    return db.all("SELECT id, name, tag, key_id, enrolled_at, revoked_at, last_seen_at, last_seq AS entries, roles,"
                  " allocation_cap FROM terminals ORDER BY enrolled_at, name")


def add_admin_token(db: CentralDB, token_hash: str, now: str, prefix: str | None = None,
                    name: str | None = None) -> str:
    """Keep a new admin token's hash; its ``id`` (the hash's first 12 hex digits) is returned."""
    token_id = token_hash[:12]
    db.execute("INSERT INTO admin_tokens (token_hash, created_at, id, prefix, name) VALUES (?, ?, ?, ?, ?)",
               (token_hash, now, token_id, prefix, name))
    return token_id


def live_admin_tokens(db: CentralDB) -> int:
    return int(db.scalar("SELECT count(*) FROM admin_tokens WHERE revoked_at IS NULL") or 0)


def charge_journal(db: CentralDB, terminal_id: str, hour: str, nbytes: int) -> int:
    """Add ``nbytes`` to the terminal's journal bytes of ``hour`` (a new hour starts from 0); the hour's total."""
    row = db.one("UPDATE terminals SET journal_hour_bytes = CASE WHEN journal_hour = ? THEN journal_hour_bytes + ?"
                 " ELSE ? END, journal_hour = ? WHERE id = ? RETURNING journal_hour_bytes",
                 (hour, nbytes, nbytes, hour, terminal_id))
    return int(row["journal_hour_bytes"]) if row else 0


def journal_quota_hit(db: CentralDB, terminal_id: str, at: str) -> None:
    """Note that the terminal went past its hourly share of the journal at ``at``."""
    db.execute("UPDATE terminals SET journal_quota_hit_at = ? WHERE id = ?", (at, terminal_id))


def past_journal_quota_since(db: CentralDB, since: str) -> list[dict[str, Any]]:
    """Terminals not revoked that went past their share of the journal at or after ``since``: ``id``, ``name``,
    ``journal_quota_hit_at``, ``journal_hour`` and its ``journal_hour_bytes``."""
    return db.all("SELECT id, name, journal_quota_hit_at, journal_hour, journal_hour_bytes FROM terminals"
                  " WHERE revoked_at IS NULL AND journal_quota_hit_at >= ? ORDER BY name", (since,))
