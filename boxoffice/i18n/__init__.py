"""Translation of every string a person reads: gettext catalogues compiled into the package, English the source.

Why gettext: the catalogues are the format translators' tools (Poedit, Weblate) read and write, the lookup is a
dict lookup once a catalogue is loaded, and Click (under Typer) already asks stdlib gettext for its own words
("Usage:", "Options"), so one text domain serves both.

How code uses it:

- ``_("Sold {count} tickets").format(count=n)``: placeholders are named, so a translation may move them;
- ``ngettext("{n} ticket", "{n} tickets", n).format(n=n)`` where the number changes the words;
- ``N_("...")`` marks a string defined at import time (a table of labels) that is translated where it is shown,
  with ``_(value)``.

Which language: ``BOXOFFICE_LANG`` first, then the logged-in operator's own language (``operator add
--language``), then the venue's (``[venue] language`` in the config), then ``LC_ALL``, ``LC_MESSAGES``, ``LANG``.
Receipts and tickets are rendered inside ``use_language(venue_language)``, so the screen and the paper may
differ. ``--json`` output and exit statuses never pass through here: scripts see the same data in every language.

``BOXOFFICE_I18N_MISSING=FILE`` appends every message looked up and not found in the catalogue of the language in
force to FILE, one per line: the tests run whole nights in Chinese with it and fail on any line.
"""

from __future__ import annotations

import gettext as _gettext
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DOMAIN = "boxoffice"
SOURCE_LANGUAGE = "en"
LANGUAGES = ("en", "zh_CN")  # the languages a catalogue ships for (English is the source: no catalogue)
LANGUAGE_NAMES = {"en": "English", "zh_CN": "简体中文"}
LOCALE_DIR = Path(__file__).with_name("locale")
ENV = "BOXOFFICE_LANG"
MISSING_ENV = "BOXOFFICE_I18N_MISSING"

_ALIASES = {"zh": "zh_CN", "zh_cn": "zh_CN", "zh_hans": "zh_CN", "zh_hans_cn": "zh_CN", "zh_sg": "zh_CN",
            "en": "en", "c": "en", "posix": "en"}


def normalise(tag: str | None) -> str | None:
    """A language tag as people and systems write it ("zh_CN.UTF-8", "zh-Hans", "en_GB", "C") as one of
    LANGUAGES, or None when it names a language without a catalogue."""
    if not tag:
        return None
    base = tag.split(".", 1)[0].split("@", 1)[0].replace("-", "_").strip().lower()
    if base in _ALIASES:
        return _ALIASES[base]
    if base.startswith("en_"):
        return "en"
    if base.startswith("zh_") and not base.startswith(("zh_tw", "zh_hk", "zh_mo", "zh_hant")):
        return "zh_CN"
    return None


def check_language(tag: str) -> str:
    """A language named in a setting or option: one of LANGUAGES, else ValueError saying which exist."""
    lang = normalise(tag)
    if lang is None:
        raise ValueError(f"unknown language {tag[:40]!r} (known: {', '.join(LANGUAGES)})")
    return lang


def from_environment(environ: dict[str, str] | os._Environ[str] | None = None) -> str | None:
    """The system's language (LC_ALL, LC_MESSAGES, LANG, the first that is set), or None."""
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if env.get(name):
            return normalise(env[name]) or SOURCE_LANGUAGE
    return None


class _Missing(_gettext.NullTranslations):
    """The last fallback of a catalogue: records what it was asked for and did not have (MISSING_ENV)."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path

    def _record(self, message: str) -> None:
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(message.replace("\n", "\\n") + "\n")

    def gettext(self, message: str) -> str:
        self._record(message)
        return message

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        self._record(msgid1)
        return msgid1 if n == 1 else msgid2


_catalogues: dict[str, _gettext.NullTranslations] = {}
_current: list[_gettext.NullTranslations] = []  # the catalogue in force (a list: set in place, read unlocked)
# What the program was told: the logged-in operator's own language, the venue's; the language now in force.
_state: dict[str, str | None] = {"operator": None, "venue": None, "language": None, "scripts": None}


def catalogue(lang: str) -> _gettext.NullTranslations:
    """The compiled catalogue of ``lang``, loaded once (English: the identity)."""
    got = _catalogues.get(lang)
    if got is None:
        if lang == SOURCE_LANGUAGE:
            got = _gettext.NullTranslations()
        else:
            try:
                got = _gettext.translation(DOMAIN, str(LOCALE_DIR), languages=[lang])
            except OSError:
                got = _gettext.NullTranslations()
            missing = os.environ.get(MISSING_ENV)
            if missing:
                got.add_fallback(_Missing(missing))
        _catalogues[lang] = got
    return got


def language() -> str:
    """The language in force for what is shown now."""
    lang = _state["language"]
    if lang is None:
        lang = (_state["scripts"] or normalise(os.environ.get(ENV)) or _state["operator"] or _state["venue"]
                or from_environment() or SOURCE_LANGUAGE)
        _apply(lang)
    return lang


def _apply(lang: str) -> None:
    _state["language"] = lang
    _current[:] = [catalogue(lang)]
    # Click and Typer translate their own words ("Usage:", "Options") through stdlib gettext's global domain.
    _gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    _gettext.textdomain(DOMAIN)
    os.environ["LANGUAGE"] = lang


def set_language(lang: str | None) -> str:
    """The venue's language (``[venue] language``): the screen's unless ``BOXOFFICE_LANG`` or the operator's own
    says otherwise; None forgets it. Returns the language now in force."""
    _state["venue"] = normalise(lang) if lang else None
    _state["language"] = None
    return language()


def refresh_environment() -> None:
    """Say the language in force again to the environment (LANGUAGE, read by Click's own words), after a process
    took a new environment: the warm process's child takes its launcher's (cli/warm/child.py)."""
    if _state["language"] is not None:
        _apply(_state["language"])


def set_operator_language(lang: str | None) -> str:
    """The language of the operator logged in (``operator add --language``), over the venue's; None (nobody
    logged in, or no language of their own) falls back to the venue's. Returns the language now in force."""
    _state["operator"] = normalise(lang) if lang else None
    _state["language"] = None
    return language()


def for_scripts(on: bool = True) -> str:
    """A command run with ``--json``: everything it says is in English, whatever the language, so that a script
    reads the same text (the ``*_text`` and ``*_local`` fields, the messages of errors) on every machine. Paper
    (receipts, tickets) still follows the venue's language through ``use_language``."""
    _state["scripts"] = SOURCE_LANGUAGE if on else None
    _state["language"] = None
    return language()


def venue_language() -> str:
    """The language receipts and tickets are printed in: the venue's, else the one in force."""
    return _state["venue"] or language()


@contextmanager
def use_language(lang: str | None) -> Iterator[str]:
    """Render something (a receipt, a ticket, a PDF) in ``lang`` (None: the language in force), then go back."""
    before = language()
    target = normalise(lang) or before
    if target == before:
        yield before
        return
    _apply(target)
    try:
        yield target
    finally:
        _apply(before)


def _(message: str) -> str:
    """The translation of ``message`` in the language in force (the message itself in English)."""
    if not _current:
        language()
    return _current[0].gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The translation of ``singular``/``plural`` chosen by ``n`` (Chinese has one form)."""
    if not _current:
        language()
    return _current[0].ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a string for the catalogue without translating it now (translated later with ``_(value)``)."""
    return message
