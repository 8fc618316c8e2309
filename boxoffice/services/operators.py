"""Operators: adding, listing, disabling, logging in and out, and supervisor approval of overrides."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TypedDict, cast

from boxoffice.domain.clock import iso, parse_iso
from boxoffice.domain.ids import uuid7
from boxoffice.domain.permissions import require, validate_role
from boxoffice.domain.pins import check_pin, hash_pin, validate_pin
from boxoffice.errors import BoxOfficeError
from boxoffice.services.context import Ctx
from boxoffice.store import operators as store
from boxoffice.store.db import write


class Operator(TypedDict):
    """An operator as shown and returned: never the PIN's hash or the failed attempts."""

    id: str
    name: str
    role: str
    disabled: int
    locked_until: str | None
    created_at: str


def _public(op: dict[str, Any]) -> Operator:
    return cast(Operator, {k: op[k] for k in ("id", "name", "role", "disabled", "locked_until", "created_at")
                           if k in op})


def check_new_operator(ctx: Ctx, name: str, role: str) -> tuple[str, str]:
    """Everything that can refuse a new operator except the PIN: the name, the role, who may add, a name taken.

    Asked before the PIN so nobody types a PIN twice only to hear the name was wrong.
    """
    name = name.strip()
    if not name or len(name) > 60 or any(ord(c) < 32 for c in name):
        raise BoxOfficeError("bad_input", "an operator name is 1 to 60 printable characters")
    role = validate_role(role)
    if store.count(ctx.conn) == 0:
        if role != "admin":
            raise BoxOfficeError("bad_input", "the first operator of a terminal must be an admin (--role admin)")
    else:
        ctx.require("operators")
    if store.by_name(ctx.conn, name):
        raise BoxOfficeError("already_exists", f"an operator named {name!r} exists already")
    return name, role


def add_operator(ctx: Ctx, name: str, role: str, pin: str) -> Operator:
    """Add an operator. The very first one needs no login and must be an admin, so a new terminal can start."""
    first = store.count(ctx.conn) == 0
    name, role = check_new_operator(ctx, name, role)
    validate_pin(pin)
    row = {"id": uuid7(), "name": name, "role": role, "pin_hash": hash_pin(pin), "created_at": ctx.now_iso()}
    with write(ctx.conn):
        store.insert(ctx.conn, row)
        # the first admin adds themself: nobody else is there to name
        ctx.journal("operator.add", {"operator": row["id"], "name": name, "role": role},
                    operator_id=row["id"] if first else None)
    return _public(row | {"disabled": 0, "locked_until": None})


def list_operators(ctx: Ctx) -> list[Operator]:
    return cast(list[Operator], store.list_all(ctx.conn))


def set_disabled(ctx: Ctx, name: str, disabled: bool = True) -> Operator:
    ctx.require("operators")
    op = _get(ctx, name)
    if ctx.operator and op["id"] == ctx.operator["id"] and disabled:
        raise BoxOfficeError("conflict", "you cannot disable yourself: ask another admin")
    with write(ctx.conn):
        store.set_disabled(ctx.conn, op["id"], disabled)
        if disabled and (sess := store.session(ctx.conn)) and sess["operator_id"] == op["id"]:
            store.end_session(ctx.conn)
        ctx.journal("operator.disable" if disabled else "operator.enable", {"operator": op["id"], "name": op["name"]})
    return _public(store.by_id(ctx.conn, op["id"]))  # type: ignore[arg-type]


def _get(ctx: Ctx, name: str) -> dict[str, Any]:
    op = store.by_name(ctx.conn, name)
    if op is None:
        raise BoxOfficeError("not_found", f"no operator named {name!r}: `boxoffice operator list` shows who exists")
    return op


def _usable(ctx: Ctx, name: str) -> dict[str, Any]:
    """The operator named, if they exist, are enabled and are not locked out; else the refusal that says so."""
    op = _get(ctx, name)
    if op["disabled"]:
        raise BoxOfficeError("operator_disabled", f"{op['name']} is disabled: ask an admin")
    now = ctx.now()
    if op["locked_until"] and parse_iso(op["locked_until"]) > now:
        wait = int((parse_iso(op["locked_until"]) - now).total_seconds() // 60) + 1
        raise BoxOfficeError("locked", f"{op['name']} is locked after too many wrong PINs: try again in {wait} min")
    return op


def authenticate(ctx: Ctx, name: str, pin: str) -> dict[str, Any]:
    """Check a PIN. Wrong PINs count; after ``lock_after_failures`` in a row the operator is locked for a while.

    The failure count is committed before the refusal is raised, so a script cannot reset it by failing.
    """
    op = _usable(ctx, name)
    now = ctx.now()
    if not check_pin(pin, op["pin_hash"]):
        limit = int(ctx.config.lock_after_failures)
        with write(ctx.conn):
            failures = op["failed_attempts"] + 1
            lock = iso(now + timedelta(minutes=float(ctx.config.lock_minutes))) if failures >= limit else None
            store.record_failure(ctx.conn, op["id"], lock)
            if lock:
                ctx.journal("operator.locked", {"operator": op["id"], "failures": failures}, operator_id=op["id"])
        if lock:
            raise BoxOfficeError("locked", f"wrong PIN; {op['name']} is now locked for {ctx.config.lock_minutes} min")
        raise BoxOfficeError("wrong_pin", f"wrong PIN for {op['name']} ({limit - failures} tries left before a lock)")
    if op["failed_attempts"]:
        with write(ctx.conn):
            store.reset_failures(ctx.conn, op["id"])
    return op


def login(ctx: Ctx, name: str, pin: str) -> Operator:
    """Make ``name`` the operator at this terminal until logout (or ``session_hours`` idle)."""
    op = authenticate(ctx, name, pin)
    with write(ctx.conn):
        store.start_session(ctx.conn, op["id"], ctx.now_iso())
        ctx.set_operator(op)
        ctx.journal("operator.login", {"operator": op["id"]}, operator_id=op["id"])
    return _public(op)


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
