"""Screens the counter keeps and shows again are not restyled on each showing when nothing their styles depend on
has changed since they were last styled.

Textual applies the whole stylesheet to every widget of a screen each time it is pushed or its mode switched to,
because it cannot tell whether the styles went stale meanwhile. For a screen built once and kept (the pay screen,
the seat picker, the four mode screens) that restyle was the biggest single part of opening it: about 13 ms of a
P key for the pay screen's boxes, and every widget drawn again after it. A widget's styles follow from the
stylesheet, the widget's own classes and pseudo-classes, and those of its ancestors, the app's among them. Changes
to a widget's own classes, focus, hover or disabled state restyle it when they happen, shown or not; what is
styled only when a screen shows is a change of the stylesheet (a theme, variables, CSS read again) or of the app's
classes and pseudo-classes (dark or light, the terminal's focus, ANSI colour). Those are remembered when the screen
is styled, and a screen shown again under the same ones keeps the styles it has; any other change restyles it in
full, as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import events

if TYPE_CHECKING:
    from textual.app import App


def _styled_under(app: App[Any]) -> tuple[object, ...]:
    """What, outside the screen, decides its widgets' styles: compared by identity for the rules (read again means
    a new list), by value for the rest."""
    return (id(app.stylesheet.rules), getattr(app, "_css_update_count", None), app.pseudo_classes,
            frozenset(app.classes))


class KeptStyles:
    """Mixed into a screen that is shown more than once (put it before the Textual screen class): its styles are
    applied again on showing only when the stylesheet or the app's classes changed since it was last styled."""

    _styled_rules: object = None  # the rule list the screen was styled with (kept so its id cannot be reused)
    _styled_key: tuple[object, ...] | None = None

    app: App[Any]

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        """Runs before Textual's own handler for the same event (the subclass's comes first): clears the event's
        restyle request when the screen was styled under the same stylesheet and app state."""
        if not event.refresh_styles:
            return
        key = _styled_under(self.app)
        if self._styled_key is not None and key == self._styled_key and self._styled_rules is self.app.stylesheet.rules:
            event.refresh_styles = False
            return
        self._styled_key, self._styled_rules = key, self.app.stylesheet.rules
