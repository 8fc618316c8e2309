"""Terminals and admins: one-time enrollment codes, bearer tokens, who a request comes from, revocation, roles.

Roles: an enrollment code names what the terminal it enrolls is for (``sell``, ``pickup``, ``door``; all three
unless the admin says otherwise), and the terminal keeps the roles of the code it last enrolled with. Only a
terminal with ``sell`` holds places (central/allocations.py): a pickup desk or a door scanner enrolled for just that
never takes stock from the sellers.

What revoking a terminal does, exactly:
- its bearer token stops working at once (401 on every request): it can neither push nor pull;
- it is marked revoked (``revoked_at``) and a ``terminal_revoked`` change tells every other terminal;
- its public key stays known, marked revoked from that time (the signed ``terminal_revoked`` change): a door admits
  a ticket it signed only when synced data shows the sale (the central service took it before the revocation),
  since a token carries no signing time and anything else could have been minted later with the key file. A ticket
  that must stop working is revoked one by one (``boxoffice central revoke-ticket``), which puts it on every
  terminal's revocation list;
- what it pushed stays; what it did after and never pushed does not reach the central service until an admin
  issues a code made with ``--readmit`` for its name and the same machine (proving it holds the same key) enrolls
  again, which clears the revocation. Any other code is refused (``readmit_needed``).

Enrolling itself (codes bound to a name, the signed challenge) is central/services/enrollment.py.
"""

from __future__ import annotations

from typing import Any

from boxoffice.central.errors import CentralError
from boxoffice.central.services import feed, tokens
from boxoffice.central.store import terminals as rows
from boxoffice.central.store.db import CentralDB
from boxoffice.i18n import _

CUSTOMER_ROLE = "pickup"  # the one role that needs customers' names, e-mails, phones and notes: see sees_customers
CODE_HOURS = 24
ROLES = ("sell", "pickup", "door")
DEFAULT_ROLES = ",".join(ROLES)
SEEN_EVERY_SECONDS = 1  # a pull updates last_seen_at at most this often; far below any stale-terminal threshold


def parse_roles(text: str) -> str:
    """Roles as a code stores them ("sell,pickup,door" order), from a comma-separated list; bad_input otherwise."""
    from boxoffice.errors import BoxOfficeError

    asked = {r.strip().lower() for r in text.split(",") if r.strip()}
    unknown = sorted(asked - set(ROLES))
    if unknown or not asked:
        raise BoxOfficeError("bad_input", (_("roles are one or more of {roles} separated by commas, not {role!r}")
                                           if unknown else _("roles are one or more of {roles} separated by commas"))
                             .format(roles=", ".join(ROLES), role=unknown[0][:20] if unknown else ""))
    return ",".join(r for r in ROLES if r in asked)


def create_code(db: CentralDB, name: str, now: str, expires_at: str, roles: str = DEFAULT_ROLES,
                readmit: bool = False) -> str:
    """A one-time enrollment code for the terminal named ``name`` with these roles (shown once; only its hash is
    kept). Only a ``readmit`` code brings back a revoked terminal (central/services/enrollment.py)."""
    code = tokens.new_code()
    rows.add_enroll_code(db, tokens.digest(code), name, now, expires_at, parse_roles(roles), readmit)
    return code


def authenticate(db: CentralDB, header: str | None) -> dict[str, Any]:
    """The enrolled, unrevoked terminal a request's bearer token belongs to, else 401."""
    token = tokens.bearer(header)
    if token is None or not token.startswith(tokens.TERMINAL_PREFIX):
        raise CentralError(401, "unauthorized", _("send the terminal's token: Authorization: Bearer bxt_..."))
    row = rows.by_token_hash(db, tokens.digest(token))
    if row is None:
        raise CentralError(401, "unauthorized", _("this token is not known here: enroll the terminal again"))
    if row["revoked_at"]:
        raise CentralError(401, "terminal_revoked", _("this terminal was revoked at {at}: ask the admin for a new "
                                                      "enrollment code").format(at=row["revoked_at"]))
    return row


def seen(db: CentralDB, terminal_id: str, now: str) -> None:
    """Note that a terminal was heard from (a pull), for `central terminals` and the stale-terminal alert: a
    terminal with nothing to push still syncs. Written at most every few seconds per terminal, not on every page."""
    from datetime import timedelta

    from boxoffice.domain.clock import iso, parse_iso

    rows.seen_since(db, terminal_id, now, iso(parse_iso(now) - timedelta(seconds=SEEN_EVERY_SECONDS)))


HOLDER_ROLES = frozenset({"door", "pickup"})  # who receives real-name holders: see sees_holders


def sees_holders(terminal: dict[str, Any]) -> bool:
    """Whether a terminal pulls real-name ticket holders (name, ID kind, keyed hash, last four; never a number).

    A door shows the holder's name and masked ID to the steward and checks an ID against it; a pickup desk hands a
    real-name order out only against a holder's ID. A seller needs neither (it changes holders only of tickets it
    sold, whose holders it made). docs/real-name.md, "Who receives holder names"."""
    return bool(HOLDER_ROLES & set(str(terminal.get("roles") or "").split(",")))


def sees_customers(terminal: dict[str, Any]) -> bool:
    """Whether a terminal pulls customer data (names, e-mails, phones, notes of orders and web orders).

    Only a pickup desk needs them: it finds an order by the name, e-mail or phone a customer gives and shows the
    order's notes before handing out. A door checks signed tickets and needs no names; a seller sells and refunds
    by order code. Pickup desks are not bound to events (they hold no allocation, and an enrollment code names
    roles only), so a pickup desk gets the customer data of every event. docs/security.md, "What each terminal
    pulls"."""
    return CUSTOMER_ROLE in str(terminal.get("roles") or "").split(",")


def authenticate_admin(db: CentralDB, header: str | None) -> None:
    """Pass an admin token, else 401 (a terminal's token is not an admin's)."""
    token = tokens.bearer(header)
    if token is None or not token.startswith(tokens.ADMIN_PREFIX):
        raise CentralError(401, "unauthorized", _("this needs the admin token printed by `boxoffice central init`"))
    row = rows.admin_token(db, tokens.digest(token))
    if row is None or row["revoked_at"]:
        raise CentralError(401, "unauthorized", _("the admin token is not known or was withdrawn"))


def find(db: CentralDB, which: str) -> dict[str, Any] | None:
    """A terminal by id, tag or name (case-insensitive)."""
    return rows.by_id(db, which) or rows.by_tag(db, which.upper()) or rows.by_name(db, which)


def revoke(db: CentralDB, terminal: dict[str, Any], now: str) -> bool:
    """Withdraw a terminal's credential (see the module docstring). False if it was revoked already."""
    with db.transaction():
        done = rows.revoke(db, terminal["id"], now)
        if done:
            feed.append(db, [feed.Change("terminal_revoked", {"terminal_id": terminal["id"], "name": terminal["name"],
                                                              "key_id": terminal["key_id"], "at": now})], now)
    return bool(done)


def names(db: CentralDB) -> dict[str, Any]:
    """Every terminal's id and name (schemas/sync-terminals.schema.json), for terminals to name each other."""
    return {"terminals": rows.roster(db)}


def listing(db: CentralDB) -> list[dict[str, Any]]:
    """Every terminal with what it has pushed, when it was last heard from, its roles and its top-up cap (its own,
    else the service's default; ``own_cap`` says which)."""
    from boxoffice.central.services.allocation_topup import default_cap

    default = default_cap(db)
    found = rows.listing(db)
    for r in found:
        own = r.pop("allocation_cap")
        r["roles"] = [x for x in str(r["roles"]).split(",") if x]
        r["allocation_cap"] = default if own is None else int(own)
        r["own_cap"] = own is not None
    return found
