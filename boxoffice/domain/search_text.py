"""How names, e-mails and phone numbers are written into the order search index, and how a query is read.

The pickup desk types what the customer says: a name in any order, half a surname, no accents, a Chinese name, the
last digits of a phone. The index (SQLite FTS5, unicode61 with remove_diacritics 2; see schema_0003_pickup_door.sql)
makes accents optional; this module does what the tokenizer cannot:

- case folding with ``str.casefold`` (ß matches ss, which SQLite's ASCII-and-Latin folding does not do);
- one token per CJK character: unicode61 would keep 王小明 as one word, so 小明 or the surname 王 alone would not
  find it. Every CJK character is set apart by spaces in the index, and a run of them in a query becomes a phrase;
- joined forms of names written with apostrophes or hyphens (O'Brien is also indexed as obrien, Jean-Pierre as
  jeanpierre), since people type them both ways;
- the pinyin of Chinese names (Han characters), so 李小明 is found by what a desk with a Latin keyboard types:
  ``li xiao ming`` (the syllables, each a word), ``lixiaoming`` (joined), ``xiaoming`` (the given name joined)
  and ``lxm`` (the first letters); 欧阳娜娜 also by ``ouyang nana``. Written without tones: homophones match
  each other, which a desk can live with;
- phone numbers as their digits reversed, so "the last four digits" is one prefix lookup, with a Chinese number
  in its national form (+86 138 0013 8000, 0086 13800138000 and 138-0013-8000 are one number).

Pure functions with no I/O, so the same folding is applied when indexing and when searching.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

MIN_PHONE_DIGITS = 4
_PHONE_PUNCTUATION = set(" +-()./")


def fold(text: str) -> str:
    """Compatibility-normalise and case-fold: full-width letters, ligatures and ß come out comparable."""
    return unicodedata.normalize("NFKC", text).casefold()


def is_cjk(ch: str) -> bool:
    """Han ideographs, kana and Hangul syllables: scripts whose names are written without spaces between words."""
    o = ord(ch)
    return (
        0x4E00 <= o <= 0x9FFF  # CJK unified ideographs
        or 0x3400 <= o <= 0x4DBF  # extension A
        or 0x20000 <= o <= 0x3134F  # extensions B to G
        or 0xF900 <= o <= 0xFAFF  # compatibility ideographs
        or 0x3040 <= o <= 0x30FF  # hiragana, katakana
        or 0xAC00 <= o <= 0xD7AF  # Hangul syllables
    )


def _is_word_char(ch: str) -> bool:
    """Letters, digits and combining marks: what the unicode61 tokenizer keeps inside a token."""
    return ch.isalnum() or unicodedata.category(ch).startswith("M")


def _words(text: str) -> list[str]:
    """Split folded text into words the way the index sees them, each CJK character a word of its own."""
    words: list[str] = []
    current: list[str] = []
    for ch in text:
        if is_cjk(ch):
            if current:
                words.append("".join(current))
                current = []
            words.append(ch)
        elif _is_word_char(ch):
            current.append(ch)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return words


def is_han(ch: str) -> bool:
    """Chinese characters (Han ideographs): the CJK characters that have a pinyin reading."""
    return is_cjk(ch) and not (0x3040 <= ord(ch) <= 0x30FF or 0xAC00 <= ord(ch) <= 0xD7AF)


def pinyin_forms(text: str) -> list[str]:
    """The pinyin words of the Han characters of a name, as a desk types them: each syllable, all of them
    joined, the given name and a compound surname joined, and the first letters. Empty without Han.

    ``lazy_pinyin`` reads each character by its commonest reading (Style.NORMAL: no tones; ü as v, as pinyin
    keyboards type it, and as u too since that is how it is often written without the dots).
    """
    han = "".join(ch for ch in text if is_han(ch))
    if not han:
        return []
    from pypinyin import Style, lazy_pinyin

    syllables = [s for s in (fold(p) for p in lazy_pinyin(han, style=Style.NORMAL)) if s.isalnum()]
    if not syllables:
        return []
    n = len(syllables)
    forms = list(syllables)
    if n > 1:
        forms.append("".join(syllables))
        # The given name joined after a one- or two-character surname (xiaoming, nana), and a compound surname
        # joined (ouyang): people say the parts of a name apart as often as the whole.
        forms.extend("".join(syllables[k:]) for k in range(1, n - 1))
        forms.extend("".join(syllables[:k]) for k in range(2, n))
        forms.append("".join(s[0] for s in syllables))
    with_u = [f.replace("v", "u") for f in forms if "v" in f]
    return list(dict.fromkeys(forms + with_u))


def index_name(name: str | None) -> str:
    """The name as the index stores it: folded, CJK characters spaced out, joined forms of punctuated words, and
    the pinyin forms of Chinese characters."""
    if not name:
        return ""
    folded = fold(name)
    parts = [" ".join(_words(folded))]
    for chunk in folded.split():
        pieces = [w for w in _words(chunk) if not any(is_cjk(c) for c in w)]
        if len(pieces) > 1:  # O'Brien, Jean-Pierre, St.John: also the joined spelling
            parts.append("".join(pieces))
    parts.extend(pinyin_forms(folded))
    return " ".join(p for p in parts if p)


def index_email(email: str | None) -> str:
    """The e-mail folded; the tokenizer splits it at dots and the @ so its parts are searchable words."""
    return fold(email) if email else ""


def phone_digits(phone: str | None) -> str:
    """Only the digits of a phone number (ASCII digits: what a keypad types)."""
    if not phone:
        return ""
    return "".join(c for c in unicodedata.normalize("NFKC", phone) if "0" <= c <= "9")


def national_phone(digits: str) -> str:
    """A Chinese number written with its country code (+86, 0086) in the national form it is also written in:
    a mobile as its 11 digits (13800138000), a fixed line with its trunk 0 (+86 10 1234 5678 as 01012345678).
    Any other number is returned as it is."""
    if digits.startswith("0086"):
        rest = digits[4:]
    elif digits.startswith("86") and len(digits) in (12, 13):
        rest = digits[2:]
    else:
        return digits
    if len(rest) == 11 and rest[0] == "1" and rest[1] in "3456789":
        return rest
    if len(rest) in (10, 11) and rest[0] != "0":
        return "0" + rest
    return digits


def index_phone(digits: str | None) -> str:
    """The digits (a Chinese number in its national form) reversed, so that a number's ending is a term prefix."""
    return national_phone(digits)[::-1] if digits else ""


def index_entry(rowid: int, order_id: str, name: str | None, email: str | None,
                digits: str | None) -> tuple[int, str, str, str, str]:
    """One row of the order search index: (rowid, name text, e-mail text, reversed phone, order id)."""
    return rowid, index_name(name), index_email(email), index_phone(digits), order_id


def looks_like_phone(query: str) -> bool:
    """Digits with the punctuation people put in phone numbers, and nothing else."""
    q = unicodedata.normalize("NFKC", query).strip()
    return bool(q) and any(c.isdigit() for c in q) and all(c.isdigit() or c in _PHONE_PUNCTUATION for c in q)


@dataclass(frozen=True)
class Term:
    """One thing the query must match: a word, or a run of CJK characters that must appear in this order."""

    text: str
    cjk: bool

    def fts(self, prefix: bool) -> str:
        """The FTS5 query text for this term, quoted so no character is read as query syntax."""
        if self.cjk:
            return '"' + " ".join(self.text) + '"'
        quoted = '"' + self.text.replace('"', '""') + '"'
        return quoted + "*" if prefix else quoted


def query_terms(query: str) -> list[Term]:
    """The terms of a name query, folded like the index; a run of CJK characters is one phrase term."""
    folded = fold(query)
    terms: list[Term] = []
    run: list[str] = []
    word: list[str] = []

    def flush_word() -> None:
        if word:
            terms.append(Term("".join(word), False))
            word.clear()

    def flush_run() -> None:
        if run:
            terms.append(Term("".join(run), True))
            run.clear()

    for ch in folded:
        if is_cjk(ch):
            flush_word()
            run.append(ch)
        elif _is_word_char(ch):
            flush_run()
            word.append(ch)
        else:
            flush_word()
            flush_run()
    flush_word()
    flush_run()
    return terms


def name_match(terms: list[Term], prefix: bool) -> str:
    """An FTS5 MATCH expression: every term in the name or e-mail, in any order, optionally as prefixes.

    One-letter Latin terms stay whole words even in a prefix search: "a*" would match a large part of any event.
    """
    parts = [t.fts(prefix and (t.cjk or len(t.text) > 1)) for t in terms]
    return "{name email} : (" + " AND ".join(parts) + ")"


def phone_term(digits: str) -> str:
    """The prefix term for numbers ending in ``digits``, for a match on the phone_rev column alone."""
    return '"' + index_phone(digits) + '"*'


def plain(text: str) -> str:
    """Folded text without accents, for comparing what was typed with an indexed name outside SQLite."""
    return "".join(c for c in unicodedata.normalize("NFKD", fold(text)) if not unicodedata.combining(c))


def rank_key(terms: list[Term], indexed_name: str) -> tuple[int, int, int]:
    """Sort key for a name the index matched (smaller is better): most terms that are whole words of the name
    (not only prefixes, not only in the e-mail), then most that start a word, then the fewest words."""
    words = plain(indexed_name).split()
    spaced = " " + " ".join(words) + " "
    whole = starts = 0
    for t in terms:
        text = plain(t.text)
        if t.cjk:
            if " " + " ".join(text) + " " in spaced:
                whole += 1
        elif text in words:
            whole += 1
        elif any(w.startswith(text) for w in words):
            starts += 1
    return -whole, -starts, len(words)
