"""The words Typer prints itself ("Options", "Commands", "default: ...", "Aborted!"...), listed so that the
catalogue carries their translations.

Typer asks stdlib gettext for these words (typer/core.py: ``from gettext import gettext as _``). boxoffice.i18n
makes our text domain gettext's global one and sets ``LANGUAGE`` to the language in force (``i18n._apply``), so a
translation of Typer's exact English string in our catalogue is what Typer prints. Nothing imports this module:
the catalogue tool reads it. The strings are Typer's, character for character (typer 0.29: after an upgrade,
compare with the ``_(`` calls in typer/core.py).

Typer 0.29 carries its own copy of Click (typer/_click), which writes its words in English without asking
gettext: "Usage:" and the --help option's help are translated by the help formatter of cli/lazy.py, the usage
errors ("Error: No such option: ...", "Try 'boxoffice -h' for help.") by cli/app.py, with msgids of their own.
Typer's y/N after a question is not translated: the answers typed are y and n in every language.
"""

from __future__ import annotations

from boxoffice.i18n import N_

WORDS = (
    N_("Arguments"),
    N_("Options"),
    N_("Commands"),
    N_("default: {default}"),
    N_("required"),
    N_("env var: {var}"),
    N_("(dynamic)"),
    N_("Aborted!"),
    N_("Missing command."),
    N_("No such command {name!r}."),
)
