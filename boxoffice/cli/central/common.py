"""What every `boxoffice central` command shares: which central database it works on."""

from __future__ import annotations

import os

from boxoffice.i18n import N_

DB_HELP = N_("Central database: postgresql://USER@HOST/DB or a SQLite file (else BOXOFFICE_CENTRAL_DB, else the "
             "user data dir's central.db).")  # shown with _(DB_HELP)


def central_db(value: str | None) -> str:
    if value:
        return value
    env = os.environ.get("BOXOFFICE_CENTRAL_DB")
    if env:
        return env
    from boxoffice.config import user_data_dir

    return str(user_data_dir() / "central.db")
