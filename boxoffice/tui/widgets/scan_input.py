"""The scan box: a line input that answers Enter in the order keys arrive, as a keyboard-wedge scanner needs.

A scanner types a token and Enter faster than anyone types, and then the next. Textual's Input inserts a character
as its key arrives but submits on Enter through a key binding, which is looked up only after the key has travelled
up to the app; meanwhile the next token's characters are already in the box, and two scans would run together.
Here Enter is handled with the characters, in arrival order: each scan is submitted with exactly its own text. A
paste of several lines (a scanner set to paste, a list) is several scans.
"""

from __future__ import annotations

from textual import events
from textual.widgets import Input


class ScanInput(Input):
    """An Input whose Enter submits at once, in order with the keys typed before and after it."""

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self._submit_now()
            return
        await super()._on_key(event)

    def _on_paste(self, event: events.Paste) -> None:
        lines = event.text.splitlines()
        if len(lines) <= 1 and not event.text.endswith(("\n", "\r")):
            super()._on_paste(event)
            return
        event.stop()
        ended = event.text.endswith(("\n", "\r"))
        for i, line in enumerate(lines):
            self.insert_text_at_cursor(line)
            if i < len(lines) - 1 or ended:
                self._submit_now()

    def _submit_now(self) -> None:
        """Post what is in the box as one scan and empty it for the next."""
        self.post_message(self.Submitted(self, self.value))
        self.value = ""
