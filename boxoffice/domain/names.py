"""Operator names people cannot mistake for one another.

An operator's name is who the journal says did something, and who logs in. Two names that look the same on screen
(a Latin "a" and a Cyrillic "а", an invisible character inside, a full-width twin) would let one person pass for
another, so a new name is NFKC-normalised (twins fold into one spelling) and refused when it holds a character
nobody can see or letters from scripts that are not written together.
"""

from __future__ import annotations

import unicodedata

from boxoffice.domain.card_numbers import refuse_card_number
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _

MAX_NAME = 60

# Letters that show as blank space though Unicode files them as letters or symbols.
_BLANK = frozenset("\u115f\u1160\u3164\uffa0\u2800\u17b4\u17b5\u180e")
# Scripts written together in one name (UTS #39, "highly restrictive"): each set may mix with Latin too.
_TOGETHER = ({"Han", "Hiragana", "Katakana"}, {"Han", "Hangul"}, {"Han", "Bopomofo"})


def _script(ch: str) -> str | None:
    """The script of a letter, from its Unicode name (the standard library has no script property); None for a
    character that belongs to no one script (digits, punctuation, marks, modifier letters)."""
    if not unicodedata.category(ch).startswith("L") or unicodedata.category(ch) == "Lm":
        return None
    word = unicodedata.name(ch, "").split(" ")[0].split("-")[0]
    return {"CJK": "Han", "HIRAGANA": "Hiragana", "KATAKANA": "Katakana", "HANGUL": "Hangul",
            "BOPOMOFO": "Bopomofo"}.get(word, word.title() or None)


def _allowed(scripts: set[str]) -> bool:
    if len(scripts) <= 1:
        return True
    rest = scripts - {"Latin"}
    return any(rest <= group for group in _TOGETHER)


def operator_name(name: str) -> str:
    """The name as stored (NFKC, trimmed), or ``bad_input`` saying what is wrong with it."""
    return person_name(name, N_("an operator name"))


def person_name(name: str, what: str) -> str:
    """A person's name as stored (NFKC, trimmed): an operator's, or a real-name ticket's holder (``what`` says which,
    for the message, marked with ``N_`` and translated here). ``bad_input`` for one that is empty, too long, has
    invisible characters, looks like a card number or mixes scripts that look alike."""
    text = unicodedata.normalize("NFKC", name).strip()
    shown = _(what)
    if not text or len(text) > MAX_NAME:
        raise BoxOfficeError("bad_input", _("{what} is 1 to {most} printable characters").format(
            what=shown, most=MAX_NAME))
    for ch in text:
        category = unicodedata.category(ch)
        if category in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") or ch in _BLANK or (category == "Zs" and ch != " "):
            raise BoxOfficeError("bad_input", _("{what} cannot hold invisible or control characters "
                                                "(U+{code:04X} found): type it again with plain letters").format(
                what=shown, code=ord(ch)))
    refuse_card_number(text, what.split(" ", 1)[-1])
    scripts = {s for s in map(_script, text) if s}
    if not _allowed(scripts):
        raise BoxOfficeError("bad_input", _("{what} mixes letters of {scripts}, which can look alike: spell it in one "
                                            "script").format(what=shown, scripts=", ".join(sorted(scripts))))
    return text
