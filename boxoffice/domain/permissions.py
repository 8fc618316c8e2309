"""Roles and what each may do. Services ask ``require(role, permission)`` before they change anything."""

from __future__ import annotations

from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _

ROLES = ("seller", "pickup", "door", "supervisor", "admin")

# permission -> roles that hold it. Kept as data so a refusal can say which role is needed.
PERMISSIONS: dict[str, tuple[str, ...]] = {
    "sell": ("seller", "supervisor", "admin"),
    "comp": ("supervisor", "admin"),
    "pickup": ("pickup", "seller", "supervisor", "admin"),
    "reprint": ("supervisor", "admin"),
    "scan": ("door", "supervisor", "admin"),
    "refund": ("seller", "supervisor", "admin"),
    "refund_override": ("supervisor", "admin"),
    "exchange": ("seller", "supervisor", "admin"),
    "change_holder": ("supervisor", "admin"),
    "shift": ("seller", "pickup", "supervisor", "admin"),
    "cash": ("seller", "supervisor", "admin"),
    "drawer": ("seller", "supervisor", "admin"),
    "print": ("seller", "pickup", "supervisor", "admin"),
    "report": ("supervisor", "admin"),
    "pause": ("supervisor", "admin"),
    "catalog": ("admin",),
    "operators": ("admin",),
    "orders_import": ("supervisor", "admin"),
    "sync": ("seller", "pickup", "door", "supervisor", "admin"),
    "enroll": ("admin",),
    "audit": ("supervisor", "admin"),
    "unlock": ("supervisor", "admin"),
    "variance": ("supervisor", "admin"),
    "reset_pin": ("supervisor", "admin"),
    "complaints": ("supervisor", "admin"),
    "privacy": ("supervisor", "admin"),
}


# How people read each role (the role itself, a code, stays English in --json and the database).
ROLE_NAMES: dict[str, str] = {"seller": N_("seller"), "pickup": N_("pickup"), "door": N_("door"),
                              "supervisor": N_("supervisor"), "admin": N_("admin")}


def role_name(role: str) -> str:
    """A role as people read it, in the language in force."""
    return _(ROLE_NAMES[role]) if role in ROLE_NAMES else role


# How a refusal names each permission ("Sam (seller) may not <this>").
DESCRIPTIONS: dict[str, str] = {
    "sell": N_("sell tickets"), "comp": N_("give comps"), "pickup": N_("hand out orders"),
    "reprint": N_("reprint tickets"), "scan": N_("check tickets in at the door"), "refund": N_("refund"),
    "refund_override": N_("approve refunds outside policy"), "exchange": N_("exchange tickets"),
    "shift": N_("open or close shifts"), "cash": N_("move cash in or out of the drawer"),
    "drawer": N_("open the cash drawer"), "print": N_("print"), "report": N_("see reports"),
    "pause": N_("pause or resume sales"), "catalog": N_("change the catalogue"),
    "operators": N_("manage operators or restore backups"), "orders_import": N_("import orders or keys"),
    "sync": N_("sync"), "enroll": N_("enroll this terminal with a central service"),
    "audit": N_("read or verify the audit trail"), "unlock": N_("unlock operators"),
    "variance": N_("approve a cash drawer's variance"), "reset_pin": N_("reset operators' PINs"),
    "change_holder": N_("change a real-name ticket's holder"),
    "complaints": N_("list or close complaints"),
    "privacy": N_("purge or export customers' personal data"),
}


def allowed(role: str, permission: str) -> bool:
    """Whether ``role`` holds ``permission``."""
    return role in PERMISSIONS.get(permission, ())


def require(role: str | None, permission: str, who: str | None = None) -> None:
    """Refuse with ``permission_denied`` naming the roles that may, so the user knows whom to call."""
    if role is None:
        raise BoxOfficeError("not_logged_in", _("nobody is logged in: run `boxoffice login NAME` first"))
    if not allowed(role, permission):
        roles = PERMISSIONS.get(permission, ("admin",))
        needed = _(" or ").join(role_name(r) for r in roles)
        action = _(DESCRIPTIONS[permission]) if permission in DESCRIPTIONS else permission
        message = (_("{who} ({role}) may not {action}: ask an {needed}") if roles[0][0] in "aeiou"
                   else _("{who} ({role}) may not {action}: ask a {needed}"))
        raise BoxOfficeError(
            "permission_denied",
            message.format(who=_("this operator") if who is None else who, role=role_name(role), action=action,
                           needed=needed),
            needed=list(PERMISSIONS.get(permission, ())),
        )


def validate_role(role: str) -> str:
    """The role, lower-cased, or bad_input listing the valid ones."""
    value = role.strip().lower()
    if value not in ROLES:
        raise BoxOfficeError("bad_input",
            _("unknown role {role!r}: use one of {roles}").format(role=role, roles=", ".join(ROLES)))
    return value
