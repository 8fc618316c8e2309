"""What of a customer's personal data each role is shown: one rule for every screen, list and ``--json`` answer.

Data minimisation at the screen: a person sees what their job needs and no more. The pickup desk finds orders by
e-mail and phone and reads the notes ("ID required"), so it sees them; a seller types a customer's details at the
sale and sees the name and notes, but e-mails and phones only masked; the door sees the name (a real-name ticket
is checked against it) and nothing else; supervisors and admins see everything. Nobody logged in sees what the
door sees. Reports never list customers at all: they count (services/reports.py).

Masked values keep a hint that something is there ("a***@example.org", "***21"), so a person can tell "none
given" from "not for you". Pure: services apply it to what they return, so every screen and ``--json`` agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

FIELDS = ("name", "email", "phone", "notes")
_ALL = frozenset(FIELDS)
SEES: dict[str | None, frozenset[str]] = {
    "admin": _ALL,
    "supervisor": _ALL,
    "pickup": _ALL,
    "seller": frozenset({"name", "notes"}),
    "door": frozenset({"name"}),
    None: frozenset({"name"}),
}
# the keys each field goes by in the rows services return
KEYS: dict[str, str] = {"customer_name": "name", "name": "name", "email": "email", "phone": "phone",
                        "phone_end": "phone", "phone_digits": "phone", "notes": "notes"}


def sees(role: str | None, field: str) -> bool:
    """Whether ``role`` is shown ``field`` (one of FIELDS) in full."""
    return field in SEES.get(role, SEES[None])


def mask_email(value: str) -> str:
    local, at, domain = value.partition("@")
    return f"{local[:1]}***@{domain}" if at else "***"


def mask_phone(value: str) -> str:
    digits = "".join(c for c in value if c.isdigit())
    return f"***{digits[-2:]}" if len(digits) >= 6 else "***"


def mask(field: str, value: Any) -> Any:
    """``value`` of ``field`` as a role that may not see it is shown it (None stays None: nothing was given)."""
    if value is None or value == "":
        return value
    if field == "email":
        return mask_email(str(value))
    if field == "phone":
        return mask_phone(str(value))
    return "***"


def masked(role: str | None, row: Mapping[str, Any]) -> dict[str, Any]:
    """``row`` with each personal key (KEYS) masked where ``role`` may not see it."""
    return {k: (v if k not in KEYS or sees(role, KEYS[k]) else mask(KEYS[k], v)) for k, v in row.items()}
