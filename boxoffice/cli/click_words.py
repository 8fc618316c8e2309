"""The words Click and Typer print themselves ("Usage:", "Options", "Error: ...", "Missing argument"...), listed so
that the catalogue carries their translations.

Click and Typer ask stdlib gettext for their own words (``from gettext import gettext as _``). boxoffice.i18n
makes our text domain gettext's global one and sets ``LANGUAGE`` to the language in force (``i18n._apply``), so a
translation of Click's exact English string in our catalogue is what Click prints. Nothing imports this module:
the catalogue tool reads it (each string below is marked with ``N_`` or ``ngettext``, as Click writes it, character
for character, in click 8.5 and typer 0.29; after an upgrade of either, compare with ``_(`` in their sources).

The two completion options' help texts are Typer's, not passed through gettext: the root group translates them
itself (cli/app.py), with the msgids below.
"""

from __future__ import annotations

from boxoffice.i18n import N_, ngettext

WORDS = (
    # help pages
    N_("Usage:"),
    N_("Options"),
    N_("Arguments"),
    N_("Positional arguments"),
    N_("Commands"),
    N_("Show this message and exit."),
    N_("Show the version and exit."),
    N_("default: {default}"),
    N_("required"),
    N_("env var: {var}"),
    N_("(dynamic)"),
    N_("deprecated"),
    N_("Install completion for the current shell."),
    N_("Show completion for the current shell, to copy it or customize the installation."),
    # usage errors
    N_("Error: {message}"),
    N_("Try '{command} {option}' for help."),
    N_("Missing argument"),
    N_("Missing option"),
    N_("Missing parameter"),
    N_("Missing {param_type}"),
    N_("Missing parameter: {param_name}"),
    N_("Missing command."),
    N_("No such option {name!r}."),
    N_("No such command {name!r}."),
    N_("Invalid value: {message}"),
    N_("Invalid value for {param_hint}: {message}"),
    N_("Option {name!r} does not take a value."),
    N_("Argument {name!r} takes {nargs} values."),
    N_("Invalid start character for option ({option})"),
    N_("Value must be an iterable."),
    N_("{value!r} is not a valid {number_type}."),
    N_("{value} is not in the range {range}."),
    N_("{value!r} is not a valid boolean. Recognized values: {states}"),
    N_("{value!r} is not a valid UUID."),
    N_("Choose from:\n\t{choices}"),
    N_("file"),
    N_("directory"),
    N_("path"),
    N_("{name} {filename!r} does not exist."),
    N_("{name} {filename!r} is a file."),
    N_("{name} {filename!r} is a directory."),
    N_("{name} {filename!r} is not readable."),
    N_("{name} {filename!r} is not writable."),
    N_("{name} {filename!r} is not executable."),
    N_("Could not open file {filename!r}: {message}"),
    N_("unknown error"),
    # prompts
    N_("Aborted!"),
    N_("Error: invalid input"),
    N_("Error: The two entered values do not match."),
    N_("Repeat for confirmation"),
    N_("Do you want to continue?"),
    N_("Confirm the action without prompting."),
    N_("Press any key to continue..."),
)


def plural_words() -> tuple[str, ...]:
    """Click's words that change with a number (never called: the catalogue tool reads the calls)."""
    return (
        ngettext("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})", 1),
        ngettext("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments.", 1),
        ngettext("Takes {nargs} values but 1 was given.", "Takes {nargs} values but {len} were given.", 1),
        ngettext("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)", 1),
        ngettext("{value!r} is not {choice}.", "{value!r} is not one of {choices}.", 1),
        ngettext("{value!r} does not match the format {format}.", "{value!r} does not match the formats {formats}.",
                 1),
        ngettext("{len_type} values are required, but {len_value} was given.",
                 "{len_type} values are required, but {len_value} were given.", 1),
    )
