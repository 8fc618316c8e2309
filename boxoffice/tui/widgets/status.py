"""The status bar at the top of every counter screen: who is at the desk and what state the terminal is in.

The facts come from one service call (services/desk_status.py), read again every few seconds and after each
action. Every state is said in words (LOCKED, NO SHIFT, OFFLINE, PRINTER: 2 FAILED, PAUSED), the colour only
repeats it, and the bar keeps to the screen's width: one line when it fits, a second when it does not.
"""

from __future__ import annotations

import sqlite3

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import Static

from boxoffice.domain.shown import shown
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _
from boxoffice.services.desk_status import DeskStatus, desk_status
from boxoffice.tui.desk import Desk
from boxoffice.tui.text import put

OK, WARN, BAD = "", "bold black on yellow", "bold white on red"
SEP = " · "
REFRESH_EVERY = 3.0  # seconds between readings while the screen shows
ROLES = {"admin": N_("admin"), "supervisor": N_("supervisor"), "seller": N_("seller"), "pickup": N_("pickup"),
         "door": N_("door")}  # the role as the bar says it (the stored value is a code)
PAUSED = {"sales": N_("sales"), "pickups": N_("pickups"), "scans": N_("scans")}


def age_text(seconds: int | None) -> str:
    """An age as counter staff read it at a glance: 12s, 4m, 3h, 2d."""
    if seconds is None:
        return "?"
    for size, unit in ((86400, N_("{n}d")), (3600, N_("{n}h")), (60, N_("{n}m"))):
        if seconds >= size:
            return _(unit).format(n=seconds // size)
    return _("{n}s").format(n=seconds)


def _short(name: str, most: int = 10) -> str:
    """A name cut to ``most`` characters, with any control character made harmless (names come from elsewhere)."""
    name = shown(name)
    return name if len(name) <= most else name[:most - 1] + "…"


def status_parts(st: DeskStatus) -> list[tuple[str, str]]:
    """The bar's pieces in the order they are read, each with its style (words first, the colour repeats them)."""
    parts: list[tuple[str, str]] = [(_short(st["terminal"], 14), OK)]
    if st["operator"] is None:
        parts.append((_("LOCKED"), BAD))
    else:
        parts.append((_("{operator} ({role})").format(operator=_short(st["operator"], 14),
                                                     role=_(ROLES.get(st["role"] or "", st["role"] or ""))), OK))
        parts.append((_("shift open"), OK) if st["shift_open"] else (_("NO SHIFT"), WARN))
    sync = st["sync"]
    waiting = _(", {count} to send").format(count=st["to_push"]) if st["to_push"] and sync != "online" else ""
    if sync == "alone":
        parts.append((_("standalone"), OK))
    elif sync == "online":
        parts.append((_("online {age} ago").format(age=age_text(st["sync_age_s"])), OK))
    elif sync == "never":
        parts.append((_("OFFLINE never synced{waiting}").format(waiting=waiting), BAD))
    else:
        parts.append((_("OFFLINE synced {age} ago{waiting}").format(age=age_text(st["sync_age_s"]), waiting=waiting),
                      BAD))
    if st["print_failed"]:
        parts.append((_("PRINTER: {count} FAILED").format(count=st["print_failed"]), BAD))
    elif st["print_pending"]:
        parts.append((_("print: {count} waiting").format(count=st["print_pending"]), WARN))
    else:
        parts.append((_("printer ok"), OK))
    if st["allocation"] is not None:
        left = ", ".join(f"{_short(s['name'])} {s['left'] if s['left'] else _('none')}" for s in st["allocation"])
        low = any(s["left"] == 0 for s in st["allocation"])
        parts.append((_("left: {sections}").format(sections=left) if left else _("left: nothing allocated"),
                      WARN if low or not left else OK))
    for p in st["pauses"]:
        where = {"all": _("all"), "terminal": _("here")}.get(p["scope"], p["target"] or p["scope"])
        parts.append((_("PAUSED {what} ({where}): {reason}").format(
            what=_(PAUSED.get(p["what"], p["what"])), where=_short(where, 12), reason=_short(p["reason"], 40)), BAD))
    return parts


def status_lines(st: DeskStatus, width: int = 78) -> list[Text]:
    """The pieces packed into one line, or two when they do not fit ``width``; what still overflows is cut with …"""
    lines: list[Text] = [Text()]
    for text, style in status_parts(st):
        line = lines[-1]
        gap = SEP if line.plain else ""
        if line.plain and cell_len(line.plain) + cell_len(gap) + cell_len(text) > width and len(lines) < 2:
            lines.append(Text())
            line, gap = lines[-1], ""
        line.append(gap)
        line.append(text, style=style)
    for line in lines:
        line.truncate(width, overflow="ellipsis")
    return lines


class StatusBar(Static):
    """Operator and role (or LOCKED), shift, online or offline with the last sync's age, what is left of the
    allocation, the printer, pauses in force."""

    DEFAULT_CSS = """
    StatusBar { dock: top; height: auto; max-height: 2; background: $primary-background; color: $text;
                padding: 0 1; }
    """

    def __init__(self, desk: Desk) -> None:
        super().__init__("")
        self.desk = desk
        self.status: DeskStatus | None = None

    def on_mount(self) -> None:
        self.refresh_status()
        self.set_interval(REFRESH_EVERY, self._tick)

    def _tick(self) -> None:
        # Only the screen in view reads; and not while the door's writer holds the connection (screens/door.py).
        if self.screen.is_current and not self.desk.notes.get("door_busy"):
            self.refresh_status()

    def refresh_status(self) -> None:
        """Read the terminal's state again and redraw the bar."""
        width = max(40, (self.app.size.width or 80) - 2)
        try:
            self.status = desk_status(self.desk.ctx, self.desk.event_id)
        except (BoxOfficeError, sqlite3.Error) as exc:  # the bar says it cannot tell rather than stop the desk
            self.update(Text(shown(_("STATUS UNKNOWN: {error}").format(error=exc))[:width], style=BAD))
            return
        put(self, Text("\n").join(status_lines(self.status, width)))
