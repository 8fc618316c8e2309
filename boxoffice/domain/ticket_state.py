"""The state a ticket or an order is shown in, counting revocations that came from elsewhere.

A ticket the central service revoked (refunded on the web, re-issued) arrives here as a row in ``revocations`` while
its own status stays what this terminal last wrote, 'valid'. The door already refuses it; whoever looks the order
up must see the same thing, not "valid".
"""

from __future__ import annotations


def ticket_state(status: str, revoked: bool | int) -> str:
    """'revoked' for a ticket this terminal holds as valid but that was revoked, else its status."""
    return "revoked" if status == "valid" and revoked else status


def order_state(status: str, valid: int, revoked: int) -> str:
    """An order's status with its revoked tickets counted: 'revoked' when none of its valid tickets is left
    unrevoked, 'part_revoked' when some are."""
    if not revoked or status not in ("paid", "part_refunded"):
        return status
    return "revoked" if revoked >= valid else "part_revoked"
