"""Operators: adding, listing, disabling, logging in and out, and supervisor approval of overrides."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TypedDict, cast

from boxoffice import i18n
from boxoffice.domain import sessions
from boxoffice.domain.clock import iso, parse_iso
from boxoffice.domain.ids import uuid7
from boxoffice.domain.name_order import by_name
from boxoffice.domain.names import operator_name
from boxoffice.domain.permissions import allowed, require, validate_role
from boxoffice.domain.pins import check_pin, hash_pin, needs_rehash, validate_pin
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _
from boxoffice.services.context import Ctx
from boxoffice.store import operators as store
from boxoffice.store import session_key
from boxoffice.store.db import write


class Operator(TypedDict):
    """An operator as shown and returned: never the PIN's hash or the failed attempts."""

    id: str
    name: str
    role: str
    disabled: int
    locked_until: str | None
    created_at: str
    language: str | None


def _public(op: dict[str, Any]) -> Operator:
    return cast(Operator, {k: op.get(k) for k in ("id", "name", "role", "disabled", "locked_until", "created_at",
                                                  "language")})


def check_language(language: str | None) -> str | None:
    """An operator's language as given (``--language``): one the program speaks, or None for the venue's."""
    if language is None or language.strip() in ("", "-", "venue"):
        return None
    try:
        return i18n.check_language(language)
    except ValueError:
        raise BoxOfficeError("bad_input", _("unknown language {given} (known: {known}; '-' for the venue's)").format(
            given=repr(language[:40]), known=", ".join(i18n.LANGUAGES))) from None


def check_new_operator(ctx: Ctx, name: str, role: str) -> tuple[str, str]:
    """Everything that can refuse a new operator except the PIN: the name, the role, who may add, a name taken.

    Asked before the PIN so nobody types a PIN twice only to hear the name was wrong.
    """
    name = operator_name(name)  # NFKC; no invisible characters, no look-alike mix of scripts (domain.names)
    if not name or len(name) > 60 or any(ord(c) < 32 for c in name):
        raise BoxOfficeError("bad_input", _("an operator name is 1 to 60 printable characters"))
    role = validate_role(role)
    if store.count(ctx.conn) == 0:
        if role != "admin":
            raise BoxOfficeError("bad_input", _("the first operator of a terminal must be an admin (--role admin)"))
    else:
        ctx.require("operators")
    if store.by_name(ctx.conn, name):
        raise BoxOfficeError("already_exists", _("an operator named {name} exists already").format(name=repr(name)))
    return name, role


def add_operator(ctx: Ctx, name: str, role: str, pin: str, language: str | None = None) -> Operator:
    """Add an operator. The very first one needs no login and must be an admin, so a new terminal can start.

    ``language``: the language the screen speaks while they are logged in (None: the venue's)."""
    first = store.count(ctx.conn) == 0
    name, role = check_new_operator(ctx, name, role)
    language = check_language(language)
    validate_pin(pin, role)
    row = {"id": uuid7(), "name": name, "role": role, "pin_hash": hash_pin(pin), "created_at": ctx.now_iso(),
           "language": language}
    with write(ctx.conn):
        store.insert(ctx.conn, row)
        # the first admin adds themself: nobody else is there to name
        entry = {"operator": row["id"], "name": name, "role": role}
        ctx.journal("operator.add", entry | ({"language": language} if language else {}),
                    operator_id=row["id"] if first else None)
    return _public(row | {"disabled": 0, "locked_until": None})


def set_language(ctx: Ctx, name: str, language: str | None) -> Operator:
    """Change the language an operator's screen speaks. An admin may change anyone's; everyone may change their
    own (it touches nothing but what they read). Journaled."""
    op = _get(ctx, name)
    if not (ctx.operator and op["id"] == ctx.operator["id"]):
        ctx.require("operators")
    language = check_language(language)
    with write(ctx.conn):
        store.set_language(ctx.conn, op["id"], language)
        ctx.journal("operator.language", {"operator": op["id"], "name": op["name"], "language": language})
    changed = store.by_id(ctx.conn, op["id"])
    if ctx.operator and op["id"] == ctx.operator["id"]:
        ctx.set_operator(changed)
    return _public(changed)  # type: ignore[arg-type]


def list_operators(ctx: Ctx) -> list[Operator]:
    """Every operator, in the order people read names in (pinyin for Chinese names: domain/name_order.py)."""
    return cast(list[Operator], by_name(store.list_all(ctx.conn), lambda o: o["name"]))


def set_disabled(ctx: Ctx, name: str, disabled: bool = True) -> Operator:
    ctx.require("operators")
    op = _get(ctx, name)
    if ctx.operator and op["id"] == ctx.operator["id"] and disabled:
        raise BoxOfficeError("conflict", _("you cannot disable yourself: ask another admin"))
    with write(ctx.conn):
        store.set_disabled(ctx.conn, op["id"], disabled)
        if disabled and (sess := store.session(ctx.conn)) and sess["operator_id"] == op["id"]:
            store.end_session(ctx.conn)
        ctx.journal("operator.disable" if disabled else "operator.enable", {"operator": op["id"], "name": op["name"]})
    return _public(store.by_id(ctx.conn, op["id"]))  # type: ignore[arg-type]


def _get(ctx: Ctx, name: str) -> dict[str, Any]:
    op = store.by_name(ctx.conn, name)
    if op is None:
        raise BoxOfficeError("not_found", _("no operator named {name}: `boxoffice operator list` shows who "
                                            "exists").format(name=repr(name)))
    return op


def _usable(ctx: Ctx, name: str) -> dict[str, Any]:
    """The operator named, if they exist, are enabled and are not locked out; else the refusal that says so."""
    op = _get(ctx, name)
    if op["disabled"]:
        raise BoxOfficeError("operator_disabled", _("{name} is disabled: ask an admin").format(name=op["name"]))
    now = ctx.now()
    if op["locked_until"] and parse_iso(op["locked_until"]) > now:
        wait = int((parse_iso(op["locked_until"]) - now).total_seconds() // 60) + 1
        raise BoxOfficeError("locked", _("{name} is locked after too many wrong PINs: try again in {minutes} "
                                         "min").format(name=op["name"], minutes=wait))
    return op


def authenticate(ctx: Ctx, name: str, pin: str) -> dict[str, Any]:
    """Check a PIN. Wrong PINs count; after ``lock_after_failures`` in a row the operator is locked for a while.

    The failure count is committed before the refusal is raised, so a script cannot reset it by failing. A lock
    that has run out starts the count again: without that, the first wrong PIN after a lock would lock again at
    once, and an operator who mistypes once after each lock would stay locked for good.

    A good PIN whose hash was made at an older, cheaper cost is hashed again now (the PIN is known only here).
    """
    op = _usable(ctx, name)
    now = ctx.now()
    if not check_pin(pin, op["pin_hash"]):
        limit = int(ctx.config.lock_after_failures)
        with write(ctx.conn):
            # read again under the write lock: guesses made in parallel by several processes each count
            fresh = store.by_id(ctx.conn, op["id"]) or op
            if fresh["locked_until"] and parse_iso(fresh["locked_until"]) > now:
                raise BoxOfficeError("locked", _("{name} is locked after too many wrong PINs").format(name=op["name"]))
            lock_ended = fresh["locked_until"] is not None  # a lock that has run out: the count starts again
            failures = (0 if lock_ended else fresh["failed_attempts"]) + 1
            lock = iso(now + timedelta(minutes=float(ctx.config.lock_minutes))) if failures >= limit else None
            store.set_failures(ctx.conn, op["id"], failures, lock)
            if lock:
                ctx.journal("operator.locked", {"operator": op["id"], "failures": failures}, operator_id=op["id"])
        if lock:
            raise BoxOfficeError("locked", _("wrong PIN; {name} is now locked for {minutes} min").format(
                name=op["name"], minutes=ctx.config.lock_minutes))
        raise BoxOfficeError("wrong_pin", _("wrong PIN for {name} ({left} tries left before a lock)").format(
            name=op["name"], left=limit - failures))
    new_hash = hash_pin(pin) if needs_rehash(op["pin_hash"]) else None  # hashed before taking the write lock
    if op["failed_attempts"] or op["locked_until"] or new_hash:
        with write(ctx.conn):
            store.reset_failures(ctx.conn, op["id"])
            if new_hash:
                op["pin_hash"] = new_hash
                store.set_pin(ctx.conn, op["id"], new_hash)
    return op


def login(ctx: Ctx, name: str, pin: str) -> Operator:
    """Make ``name`` the operator at this terminal until logout, ``session_hours`` idle or a day at most.

    The session row is sealed with the key beside the database (domain/sessions.py): a copy of the row, in this
    database or another terminal's, logs nobody in.
    """
    op = authenticate(ctx, name, pin)
    with write(ctx.conn):
        start_session(ctx, op)
        ctx.journal("operator.login", {"operator": op["id"]}, operator_id=op["id"])
    return _public(op)


def start_session(ctx: Ctx, op: dict[str, Any]) -> None:
    """Make ``op`` (whose PIN the caller has just checked) the operator here, in a session sealed with the key
    beside this database; inside the caller's transaction."""
    try:
        key = session_key.read_or_make(ctx.config.db_path)
    except OSError as exc:
        raise BoxOfficeError("database_error", _("cannot keep the session key beside {path}: {error}").format(
            path=ctx.config.db_path, error=exc.strerror or exc)) from None
    since = ctx.now_iso()
    expires = iso(ctx.now() + timedelta(hours=sessions.MAX_HOURS))
    store.start_session(ctx.conn, op["id"], since, expires,
                        sessions.seal(key, ctx.terminal["id"], op["id"], since, expires))
    ctx.set_operator(op)


def logout(ctx: Ctx) -> Operator | None:
    op = ctx.operator
    with write(ctx.conn):
        store.end_session(ctx.conn)
        if op:
            ctx.journal("operator.logout", {"operator": op["id"]}, operator_id=op["id"])
    ctx.set_operator(None)
    return _public(op) if op else None


def whoami(ctx: Ctx) -> Operator | None:
    op = ctx.operator
    return _public(op) if op else None


def approve(ctx: Ctx, name: str, pin: str, permission: str) -> Operator:
    """A supervisor's PIN for one action (an override): the approver must hold ``permission``."""
    check_approver(ctx, name, permission)
    op = authenticate(ctx, name, pin)
    require(op["role"], permission, who=op["name"])
    return _public(op)


def check_approver(ctx: Ctx, name: str, permission: str) -> Operator:
    """Everything that can refuse a supervisor's approval except the PIN: who they are, enabled, not locked out,
    holding ``permission``. Checked before the PIN is asked, so nobody types a PIN to hear it could never do."""
    op = _usable(ctx, name)
    require(op["role"], permission, who=op["name"])
    return _public(op)


def _act_on(ctx: Ctx, name: str, supervisor: str | None, permission: str) -> tuple[dict[str, Any], Operator]:
    """Who is acted on and who approves, for an unlock or a PIN reset: everything but the PIN checked.

    The logged-in operator approves if their role may; otherwise a supervisor or admin named by ``supervisor`` does,
    with their PIN: the way a locked-out admin, with nobody logged in, gets back in. Only an admin may act on an
    admin's PIN: a supervisor who could set one could log in as the admin.
    """
    target = _get(ctx, name)
    me = ctx.operator
    approver: Operator
    if me is not None and allowed(me["role"], permission):
        approver = _public(me)
    elif supervisor:
        approver = check_approver(ctx, supervisor, permission)
    else:
        who = f"{me['name']} ({me['role']})" if me else _("nobody logged in")
        raise BoxOfficeError("permission_denied", _("{who}: a supervisor or admin must approve (--supervisor NAME, "
                                                    "PIN asked)").format(who=who), needed=["supervisor", "admin"])
    if permission == "reset_pin" and target["role"] == "admin" and approver["role"] != "admin":
        raise BoxOfficeError("permission_denied", _("{name} ({role}) may not set an admin's PIN: ask another "
                                                    "admin").format(name=approver["name"], role=approver["role"]),
                             needed=["admin"])
    return target, approver


def check_unlock(ctx: Ctx, name: str, supervisor: str | None = None) -> dict[str, Any]:
    """Everything an unlock would refuse, before a supervisor's PIN is asked; returns whether a PIN is needed."""
    _, approver = _act_on(ctx, name, supervisor, "unlock")
    return {"needs_supervisor": ctx.operator is None or approver["id"] != ctx.operator["id"]}


def unlock(ctx: Ctx, name: str, supervisor: tuple[str, str] | None = None) -> dict[str, Any]:
    """End an operator's lockout now and clear their count of wrong PINs; journaled with who approved."""
    target, approver = _act_on(ctx, name, supervisor[0] if supervisor else None, "unlock")
    if ctx.operator is None or approver["id"] != ctx.operator["id"]:
        assert supervisor is not None  # _act_on refused otherwise
        approver = approve(ctx, supervisor[0], supervisor[1], "unlock")
    was = target["locked_until"]
    with write(ctx.conn):
        store.reset_failures(ctx.conn, target["id"])
        ctx.journal("operator.unlock", {"operator": target["id"], "name": target["name"], "was_locked_until": was,
                                        "approved_by": approver["id"]}, operator_id=approver["id"])
    return {**_public(store.by_id(ctx.conn, target["id"]) or target), "approved_by": approver["name"]}


def check_reset_pin(ctx: Ctx, name: str, supervisor: str | None = None) -> dict[str, Any]:
    """Everything a PIN reset would refuse except the PINs, before any is asked; returns the target's role."""
    target, approver = _act_on(ctx, name, supervisor, "reset_pin")
    return {"role": target["role"], "needs_supervisor": ctx.operator is None or approver["id"] != ctx.operator["id"]}


def reset_pin(ctx: Ctx, name: str, new_pin: str, supervisor: tuple[str, str] | None = None) -> dict[str, Any]:
    """Give an operator a new PIN (a forgotten one, or one others have seen); also ends any lockout.

    Journaled with who approved; the PIN and its hash never go in the journal. Their login elsewhere is not touched:
    the session is this terminal's, and ends when they log out.
    """
    target, approver = _act_on(ctx, name, supervisor[0] if supervisor else None, "reset_pin")
    validate_pin(new_pin, target["role"])
    if ctx.operator is None or approver["id"] != ctx.operator["id"]:
        assert supervisor is not None  # _act_on refused otherwise
        approver = approve(ctx, supervisor[0], supervisor[1], "reset_pin")
    with write(ctx.conn):
        store.set_pin(ctx.conn, target["id"], hash_pin(new_pin))
        store.reset_failures(ctx.conn, target["id"])
        ctx.journal("operator.pin_reset", {"operator": target["id"], "name": target["name"],
                                           "approved_by": approver["id"]}, operator_id=approver["id"])
    return {**_public(store.by_id(ctx.conn, target["id"]) or target), "approved_by": approver["name"]}
