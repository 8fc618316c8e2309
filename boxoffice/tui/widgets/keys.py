"""The keys at the bottom of every counter screen: Textual's Footer, rebuilt only when the keys it shows change.

Textual's Footer throws its keys away and mounts new ones each time the screen's bindings *may* have changed: every
focus move, every ``refresh_bindings``, several times a keystroke on the pay screen. Each rebuild mounts and styles a
dozen widgets, which was most of a tender switch's time. This footer works out what it would show (key, label,
enabled, tooltip, in the Footer's own order) and compares it with what it shows: the same keys cost nothing, and
other keys, no more of them than are on screen, are written into the keys already there (the spare ones hidden).
Only more keys, or grouped ones, are built anew. What staff see is what the Footer draws, sooner.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from boxoffice.i18n import _

Key = tuple[str, str, str, str, bool, str]  # key, key as shown, description, action, enabled, tooltip


class KeysFooter(Footer):
    """A Footer that recomposes only when it must (see the module's docstring), the keys' words translated
    (bindings are declared at import with ``N_``: their words are looked up here, in the language in force)."""

    def __init__(self) -> None:
        super().__init__()
        self._shown: list[Key] | None = None
        self._rebuilding = False  # a recompose is under way: its keys are not there to write into yet

    def _keys_to_show(self) -> list[Key] | None:
        """The keys :meth:`Footer.compose` would draw, one per action, in its order; None when a binding is in a
        group (drawn another way: left to the Footer)."""
        app = self.app
        by_action: dict[str, Key] = {}
        for (_key, binding, enabled, tooltip) in self.screen.active_bindings.values():
            if not binding.show:
                continue
            if binding.group is not None:
                return None
            by_action.setdefault(binding.action, (binding.key, app.get_key_display(binding), _(binding.description),
                                                  binding.action, enabled, tooltip))
        return list(by_action.values())

    def compose(self) -> ComposeResult:
        """The Footer's keys, each description in the language in force."""
        for widget in super().compose():
            if isinstance(widget, FooterKey) and widget.description:
                widget.description = _(widget.description)
            yield widget

    def bindings_changed(self, screen: Screen[object]) -> None:
        """Write the keys now when they fit the keys already there, so the next frame draws them; more keys, or
        grouped ones, are built once the screen has refreshed (as the Footer does)."""
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._write_keys():
            self.call_after_refresh(self._show_keys)

    def _write_keys(self) -> bool:
        """Show the keys in the widgets already there; False when they do not fit (or a rebuild is under way)."""
        if self._rebuilding:
            return False
        shown = self._keys_to_show()
        if shown is not None and shown == self._shown:
            return True
        drawn = [key for key in self.query_children(FooterKey) if not key.has_class("-command-palette")]
        if shown is None or self._shown is None or len(shown) > len(drawn):
            return False
        self._shown = shown
        for widget, (key, display, description, action, enabled, tooltip) in zip(drawn, shown, strict=False):
            widget.key, widget.key_display, widget.description, widget.action = key, display, description, action
            widget._disabled = not enabled
            widget.set_class(not enabled, "-disabled")
            widget.tooltip = tooltip or None
            widget.display = True
            widget.refresh(layout=True)
        for widget in drawn[len(shown):]:
            widget.display = False
        return True

    async def _show_keys(self) -> None:
        if not self.is_attached or self._write_keys():
            return
        self._shown = self._keys_to_show()
        self._rebuilding = True
        try:
            await self.recompose()
        finally:
            self._rebuilding = False
