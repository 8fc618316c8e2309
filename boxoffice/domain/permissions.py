"""Roles and what each may do. Services ask ``require(role, permission)`` before they change anything."""

from __future__ import annotations

from boxoffice.errors import BoxOfficeError

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


# How a refusal names each permission ("Sam (seller) may not <this>").
DESCRIPTIONS: dict[str, str] = {
    "sell": "sell tickets", "comp": "give comps", "pickup": "hand out orders", "reprint": "reprint tickets",
    "scan": "check tickets in at the door", "refund": "refund", "refund_override": "approve refunds outside policy",
    "exchange": "exchange tickets", "shift": "open or close shifts", "cash": "move cash in or out of the drawer",
    "drawer": "open the cash drawer", "print": "print", "report": "see reports", "pause": "pause or resume sales",
    "catalog": "change the catalogue", "operators": "manage operators or restore backups",
    "orders_import": "import orders or keys", "sync": "sync",
    "enroll": "enroll this terminal with a central service", "audit": "read or verify the audit trail",
    "unlock": "unlock operators", "variance": "approve a cash drawer's variance", "reset_pin": "reset operators' PINs",
    "change_holder": "change a real-name ticket's holder",
    "complaints": "list or close complaints",
    "privacy": "purge or export customers' personal data",
}


def allowed(role: str, permission: str) -> bool:
    """Whether ``role`` holds ``permission``."""
    return role in PERMISSIONS.get(permission, ())


def require(role: str | None, permission: str, who: str = "this operator") -> None:
    """Refuse with ``permission_denied`` naming the roles that may, so the user knows whom to call."""
    if role is None:
        raise BoxOfficeError("not_logged_in", "nobody is logged in: run `boxoffice login NAME` first")
    if not allowed(role, permission):
        needed = " or ".join(PERMISSIONS.get(permission, ("admin",)))
        article = "an" if needed[0] in "aeiou" else "a"
        raise BoxOfficeError(
            "permission_denied",
            f"{who} ({role}) may not {DESCRIPTIONS.get(permission, permission)}: ask {article} {needed}",
            needed=list(PERMISSIONS.get(permission, ())),
        )


def validate_role(role: str) -> str:
    """The role, lower-cased, or bad_input listing the valid ones."""
    value = role.strip().lower()
    if value not in ROLES:
        raise BoxOfficeError("bad_input", f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    return value
