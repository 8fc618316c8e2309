"""The keys at the bottom of every counter screen: Textual's Footer, rebuilt only when the keys it shows change.

Textual's Footer throws its keys away and mounts new ones each time the screen's bindings *may* have changed: every
focus move, every ``refresh_bindings``, several times a keystroke on the pay screen. Each rebuild mounts and styles a
dozen widgets, which was most of a tender switch's time. This footer works out what it would show (key, label,
enabled, tooltip, in the Footer's own order) and compares it with what it shows: the same keys cost nothing. Other
keys are shown at once, before the next frame is drawn (the Footer waits for a refresh, and its first frame shows
the keys before): a key drawn before is shown again in the widget that drew it (hidden meanwhile), so its size is
the same and the screen needs no second layout; a key not drawn yet gets a widget of its own, in its place. When
the widgets there are in another order, keys are written into them (the spare ones hidden); only grouped keys, or
more keys than widgets, are built anew. What staff see is what the Footer draws, sooner.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from boxoffice.i18n import _

Key = tuple[str, str, str, str, bool, str]  # key, key as shown, description, action, enabled, tooltip
MOST_KEYS = 16  # key widgets kept for one footer; past this, widgets there take other keys' words


class KeysFooter(Footer):
    """A Footer that recomposes only when it must (see the module's docstring), the keys' words translated
    (bindings are declared at import with ``N_``: their words are looked up here, in the language in force)."""

    def __init__(self) -> None:
        super().__init__()
        self._shown: list[Key] | None = None
        self._rebuilding = False  # a recompose is under way: its keys are not there to write into yet
        self._holds: dict[FooterKey, Key] = {}  # what each key widget shows (or showed, when hidden)

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
        """Show the keys now when the widgets for them are there or can be added, so the next frame draws them;
        grouped keys are built once the screen has refreshed (as the Footer does)."""
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._write_keys():
            self.call_after_refresh(self._show_keys)

    def _drawn(self) -> list[FooterKey]:
        return [key for key in self.query_children(FooterKey) if not key.has_class("-command-palette")]

    def _write_keys(self) -> bool:
        """Show the keys in the widgets there; False when they need a rebuild (or one is under way)."""
        if self._rebuilding:
            return False
        shown = self._keys_to_show()
        if shown is not None and shown == self._shown:
            return True
        if shown is None or self._shown is None:
            return False
        drawn = self._drawn()
        if self._show_kept(drawn, shown):
            self._shown = shown
            return True
        if len(shown) > len(drawn):
            return False
        self._shown = shown
        for widget, key in zip(drawn, shown, strict=False):
            self._write(widget, key)
            widget.display = True
            widget.refresh(layout=True)
        for widget in drawn[len(shown):]:
            widget.display = False
        return True

    def _show_kept(self, drawn: list[FooterKey], shown: list[Key]) -> bool:
        """Show each key in the widget that drew it before (a screen going back and forth between two sets of keys,
        as the pay screen does before and after each sale), adding a widget for a key not drawn yet. A widget shown
        again keeps its size: no second layout, as there is when a widget takes another key's words. False when
        the widgets there are in another order than the keys, or there would be too many of them."""
        holders = {self._holds[w][:4]: w for w in drawn if w in self._holds}
        place = {w: i for i, w in enumerate(drawn)}
        kept = [place[holders[k[:4]]] for k in shown if k[:4] in holders]
        missing = sum(1 for k in shown if k[:4] not in holders)
        if kept != sorted(kept) or len(drawn) + missing > MOST_KEYS:
            return False
        for i, key in enumerate(shown):
            if key[:4] in holders:
                continue
            widget = FooterKey(*key[:4], disabled=not key[4], tooltip=key[5])
            widget.compact = self.compact  # as Footer.compose binds it
            nxt = next((holders[k[:4]] for k in shown[i + 1:] if k[:4] in holders), None)
            if nxt is not None:
                self.mount(widget, before=nxt)
            elif i:
                self.mount(widget, after=holders[shown[i - 1][:4]])
            else:
                self.mount(widget)
            holders[key[:4]] = widget
        showing = set()
        for key in shown:
            widget = holders[key[:4]]
            self._write(widget, key)
            widget.display = True
            showing.add(widget)
        for widget in drawn:
            if widget not in showing:
                widget.display = False
        return True

    def _write(self, widget: FooterKey, key: Key) -> None:
        """Put ``key`` in ``widget`` (its words, whether it works, its tooltip)."""
        widget.key, widget.key_display, widget.description, widget.action = key[:4]
        widget._disabled = not key[4]
        widget.set_class(not key[4], "-disabled")
        widget.tooltip = key[5] or None
        self._holds[widget] = key

    async def _show_keys(self) -> None:
        if not self.is_attached or self._write_keys():
            return
        self._shown = self._keys_to_show()
        self._rebuilding = True
        try:
            await self.recompose()
        finally:
            self._rebuilding = False
        self._holds = dict(zip(self._drawn(), self._shown or [], strict=False))
