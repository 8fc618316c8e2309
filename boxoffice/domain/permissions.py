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
    "audit": ("supervisor", "admin"),
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
        raise BoxOfficeError(
            "permission_denied",
            f"{who} ({role}) may not {permission.replace('_', ' ')}: ask a {needed}",
            needed=list(PERMISSIONS.get(permission, ())),
        )


def validate_role(role: str) -> str:
    """The role, lower-cased, or bad_input listing the valid ones."""
    value = role.strip().lower()
    if value not in ROLES:
        raise BoxOfficeError("bad_input", f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    return value
