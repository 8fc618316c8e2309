"""What the counter shows: a reply's lines, and the wording of a door scan's answer, an order's hand-out state and
print results. No I/O here: the screen (cli/) decides how each style looks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from boxoffice.i18n import _

if TYPE_CHECKING:
    from boxoffice.services.door import ScanAnswer
    from boxoffice.services.pickup import FoundOrder
    from boxoffice.services.printing import PrintResult


@dataclass
class Line:
    """One line of an answer; ``style`` tells the screen how to show it (admit, refused, ok, warn, title, info)."""

    style: str
    text: str


@dataclass
class Reply:
    """What to show after a line; ``ask`` means the next line answers a yes/no question; ``quit`` ends the loop."""

    lines: list[Line] = field(default_factory=list)
    ask: str | None = None
    quit: bool = False
    data: Mapping[str, Any] | None = None

    def add(self, style: str, text: str) -> Reply:
        self.lines.append(Line(style, text))
        return self



def door_reply(ans: ScanAnswer) -> Reply:
    """One big line per scan: ADMIT / EXIT and the place, or REFUSED and why."""
    reply = Reply(data=ans)
    if ans["result"] == "refused":
        return reply.add("refused", _("REFUSED: {why}").format(why=ans["message"]))
    reply.add("admit", (_("ADMIT  {what}") if ans["result"] == "admit" else _("EXIT  {what}")).format(
        what=ans["message"]))
    if "holder" in ans:  # a real-name event: the steward compares the holder with the ID document
        reply.add("warn", _("HOLDER {holder}: compare with the ID document").format(holder=ans["holder"]["line"]))
    return reply


def handout_state(r: FoundOrder) -> str:
    if r["channel"] == "box_office":
        return _("(sold here)")
    if r["status"] == "unpaid":
        return _("NOT PAID")
    if r["picked_up"] >= r["tickets"]:
        return _("all handed out")
    return _("{count} handed out").format(count=r["picked_up"]) if r["picked_up"] else _("waiting")


def print_lines(reply: Reply, results: list[PrintResult]) -> None:
    for r in results:
        if r["status"] == "failed":
            reply.add("warn", _("NOT PRINTED: {error}").format(error=r["error"]))
        elif r.get("to"):
            reply.add("info", _("printed to {to}").format(to=r["to"]))


def outside_shift_text() -> str:
    """What the operator is told when a sale's cash went to no shift at a terminal that keeps shifts (the
    command line and the counter say it alike)."""
    return _("no shift is open for you here: this cash is in no drawer's count; tell your supervisor, and run "
             "`boxoffice shift open --float AMOUNT` before handling more cash")
