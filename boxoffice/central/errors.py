"""Refusals of the central service: an HTTP status, a machine code and a one-line message.

The JSON body has the same shape as the terminal's errors (``{"error": {"code", "message", ...}}``, see
schemas/sync-error.schema.json) so a terminal can show a central refusal the way it shows its own.
"""

from __future__ import annotations

from typing import Any


class CentralError(Exception):
    """A request the central service refuses, with the status that says whose fault it is."""

    def __init__(self, status: int, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    def body(self) -> dict[str, Any]:
        err: dict[str, Any] = {"code": self.code, "message": self.message}
        err.update(self.details)
        return {"error": err}


def invalid(message: str, errors: list[str]) -> CentralError:
    """A malformed request: 422 with every problem located by JSON pointer."""
    return CentralError(422, "invalid_document", message, errors=errors)
