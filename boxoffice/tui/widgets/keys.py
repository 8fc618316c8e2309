"""The keys at the bottom of every counter screen: Textual's Footer, built again only when the keys it shows change.

Textual's Footer throws its keys away and mounts new ones each time the screen's bindings *may* have changed: every
focus move, every ``refresh_bindings``, several times a keystroke on the pay screen. Each rebuild mounts and styles a
dozen widgets, which was most of a tender switch's time. This footer compares what it would show (key, label,
enabled, tooltip) with what it shows and rebuilds only on a difference, so what staff see is the same, sooner.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer

Shown = tuple[tuple[str, str, str, str, str | None, bool, str], ...]


class KeysFooter(Footer):
    """A Footer that recomposes only when the keys shown differ from those on screen."""

    def __init__(self) -> None:
        super().__init__()
        self._shown: Shown | None = None

    def _keys_to_show(self) -> Shown:
        """What :meth:`Footer.compose` would draw, as a value to compare."""
        app = self.app
        return tuple((binding.key, app.get_key_display(binding), binding.description, binding.action,
                      binding.group.description if binding.group is not None else None, enabled, tooltip)
                     for (_, binding, enabled, tooltip) in self.screen.active_bindings.values() if binding.show)

    def bindings_changed(self, screen: Screen[object]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen:
            self.call_after_refresh(self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        if not self.is_attached:
            return
        shown = self._keys_to_show()
        if shown == self._shown:
            return
        self._shown = shown
        await self.recompose()
