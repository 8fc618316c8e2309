"""What a pause is: its scopes, what it stops, its reason. Shared by a terminal's pauses and the central service's,
so a pause means the same wherever it is set."""

from __future__ import annotations

from boxoffice.domain.card_numbers import refuse_card_number
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _

CHANNELS = ("box_office", "web", "all")
WHAT = ("sales", "pickups", "scans")


def scope_of(event: str | None, channel: str | None, terminal: str | None) -> tuple[str, str | None]:
    """(scope, target) of a pause from the one of --event, --channel, --terminal given (none: everything).

    Shared with the central service's pauses, so a pause means the same wherever it is set.
    """
    given = [x for x in (event, channel, terminal) if x]
    if len(given) > 1:
        raise BoxOfficeError("bad_input", _("pause one thing at a time: --event, --channel or --terminal"))
    if event:
        return "event", event
    if channel:
        if channel not in CHANNELS:
            raise BoxOfficeError("bad_input", _("unknown channel {channel!r}: use {channels}").format(
                channel=channel, channels=", ".join(CHANNELS)))
        return ("all", None) if channel == "all" else ("channel", channel)
    if terminal:
        return "terminal", terminal
    return "all", None


def check_what(what: str) -> str:
    """``what`` if it is something a pause can stop (sales, pickups, scans), else bad_input naming them."""
    if what not in WHAT:
        raise BoxOfficeError("bad_input", _("pause what? use {choices}").format(choices=", ".join(WHAT)))
    return what


def clean_reason(reason: str) -> str:
    """The reason, trimmed: 1 to 200 printable characters, because every operator refused is shown it."""
    reason = (reason or "").strip()
    if not reason or len(reason) > 200 or any(ord(c) < 32 for c in reason):
        raise BoxOfficeError("bad_input", _("give a reason (1-200 characters): it is shown to every operator refused"))
    refuse_card_number(reason, "pause reason")
    return reason
