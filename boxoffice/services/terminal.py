"""Making a terminal: its id, name, order-code tag, Ed25519 key pair and database."""

from __future__ import annotations

from typing import Any

from boxoffice.config import Config
from boxoffice.domain.card_numbers import refuse_card_number
from boxoffice.domain.clock import Clock, iso, system_clock
from boxoffice.domain.codes import new_terminal_tag
from boxoffice.domain.ids import uuid7
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _
from boxoffice.services.context import Ctx
from boxoffice.store import journal as journal_store
from boxoffice.store import terminal as terminal_store
from boxoffice.store.db import connect, write


def init_terminal(config: Config, name: str, clock: Clock = system_clock, *, demo: bool = False) -> Ctx:
    """Create the database and the terminal's identity. Refuses to overwrite an existing terminal or key.

    ``demo`` marks a terminal for rehearsals and tests (`boxoffice demo`, the test suite): only such a terminal
    runs on a fixed clock. The mark is in the journal's first entry, so it is chained like every other record.
    """
    from boxoffice.services.opening import refuse_fixed_clock
    from boxoffice.tickets import keys

    name = name.strip()
    if not name or len(name) > 80:
        raise BoxOfficeError("bad_input", _("a terminal name is 1 to 80 characters"))
    refuse_card_number(name, "terminal name")
    db_path, key_path = config.db_path, config.key_path
    if db_path.exists():
        conn = connect(db_path)
        if terminal_store.get(conn) is not None:
            conn.close()
            raise BoxOfficeError("already_exists",
                                 _("{path} is a terminal already; use another --db to make a new one").format(
                                     path=db_path))
        conn.close()
    if key_path.exists():
        raise BoxOfficeError("already_exists", _("a key file {path} exists already; move it away first").format(
            path=key_path))
    if not demo:
        refuse_fixed_clock(clock)
    private, public = keys.generate_keypair()
    conn = connect(db_path, create=True)
    now = iso(clock())
    row: dict[str, Any] = {
        "id": uuid7(),
        "name": name,
        "tag": new_terminal_tag(),
        "key_id": keys.key_id_hex(public),
        "public_key": keys.public_b64(public),
        "created_at": now,
    }
    keys.save_private_key(key_path, private)
    try:
        with write(conn):
            terminal_store.create(conn, row)
            terminal_store.add_key(conn, row["key_id"], row["public_key"], f"terminal:{row['id']}", now)
            journal_store.append(conn, terminal_id=row["id"], kind="terminal.init", operator_id=None, at=now,
                                 payload={"name": name, "tag": row["tag"], "key_id": row["key_id"],
                                          "public_key": row["public_key"], **({"demo": True} if demo else {})})
    except BaseException:
        key_path.unlink(missing_ok=True)
        raise
    return Ctx(config=config, conn=conn, terminal=terminal_store.get(conn), clock=clock)  # type: ignore[arg-type]
