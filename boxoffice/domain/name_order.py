"""The order people expect a list of names in, whatever script they are written in.

Sorting by code point puts 张伟 before 李小明 (张 is U+5F20, 李 U+674E) and every Chinese name after every Latin one.
A Chinese reader looks for names in pinyin order, as a phone book or a class list has them; an English reader
expects Zoë beside Zoe, not after Zz. So a name sorts by its Latin reading: pinyin for Han characters (pypinyin),
accents dropped and case folded for the rest. Names are never split into given name and surname: Chinese names put
the surname first, and many names have neither part in the Western sense.

pypinyin's dictionaries take a few hundred milliseconds to load, so it is imported only for a name that has Han.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from typing import TypeVar

from boxoffice.domain.search_text import is_cjk

T = TypeVar("T")


def reading(name: str) -> str:
    """The Latin reading a name sorts by: 李小明 -> "li xiao ming", Zoë -> "zoe"."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    if any(is_cjk(c) for c in folded):
        from pypinyin import lazy_pinyin

        folded = " ".join(lazy_pinyin(folded))
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


def name_key(name: str) -> tuple[str, str]:
    """Sort key of a name: its reading, then the name itself (so 李 and 理, both "li", keep one order)."""
    return reading(name), name


def by_name(items: Iterable[T], name: Callable[[T], str]) -> list[T]:
    """``items`` sorted by the name ``name`` gives each, in reading order."""
    return sorted(items, key=lambda item: name_key(name(item)))
