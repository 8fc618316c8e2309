"""Text made safe to show: what a screen, a report, a receipt or a log line prints, never what it stores.

Names, e-mails, notes and reasons come from other terminals and the web shop through the central service, so
they may hold anything: an escape sequence that retitles the window, clears the screen or recolours the rest of
it (ESC [ ..., OSC ... BEL), a C1 control that some terminals obey as one, a backspace or carriage return that
overwrites what came before, a bidi override (U+202E) that shows "gpj.exe" for "exe.jpg". The stored data keeps
what was sent (it is the record); everything shown goes through :func:`shown` at the edge where it is printed.

Each control character becomes one visible U+FFFD, so a person sees that something was there. Kept: printable
Unicode of every script (CJK included), ordinary spaces, combining marks, and the zero-width joiner and
non-joiner that emoji and Indic and Arabic scripts need. Replaced: C0 and C1 controls and DEL (Cc), bidi
embeddings, overrides and isolates, line and paragraph separators, the other format characters (Cf), and lone
surrogates.
"""

from __future__ import annotations

import re
from functools import cache

PLACEHOLDER = "\ufffd"

# Cc, Cf (but ZWNJ U+200C and ZWJ U+200D, which some scripts and emoji need), Zl, Zp and lone surrogates, as
# Unicode files them; written out so that importing this costs nothing.
_CLASS = ("\x00-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b"
          "\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb"
          "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
          "\U000e0001\U000e0020-\U000e007f")


@cache
def _unsafe(keep_newline: bool) -> re.Pattern[str]:
    """The pattern of what is replaced (with ``keep_newline``, all but the newline), compiled the first time text
    needs it: a class of this size costs about 4 M instructions to compile, and most text a command prints is
    plain ASCII, which is checked without it."""
    return re.compile(f"(?!\n)[{_CLASS}]" if keep_newline else f"[{_CLASS}]")


def _plain(s: str, keep_newline: bool) -> bool:
    """Whether ``s`` is ASCII with nothing to replace: in ASCII the class above is only C0 controls and DEL, which
    ``str.isprintable`` refuses (and the newline, when it is kept)."""
    return s.isascii() and (s.isprintable() or (keep_newline and s.replace("\n", "").isprintable()))


def shown(text: object) -> str:
    """``text`` as it may be printed on one line: every control or formatting character (module doc) replaced by
    U+FFFD, newlines and tabs too. None is shown as the empty string."""
    if text is None:
        return ""
    s = text if isinstance(text, str) else str(text)
    if _plain(s, False):
        return s
    unsafe = _unsafe(False)
    return unsafe.sub(PLACEHOLDER, s) if unsafe.search(s) else s


def shown_lines(text: object) -> str:
    """Like :func:`shown`, but keeping newlines: for a block of output already laid out in lines (a table, a
    report). A tab becomes a space."""
    if text is None:
        return ""
    s = (text if isinstance(text, str) else str(text)).replace("\t", " ")
    if _plain(s, True):
        return s
    unsafe = _unsafe(True)
    return unsafe.sub(PLACEHOLDER, s) if unsafe.search(s) else s


def escape_for_json(text: str) -> str:
    """JSON text with every character :func:`shown` would replace written as a \\uXXXX escape. ``json.dumps`` with
    ``ensure_ascii=False`` escapes C0 controls but leaves C1 controls and bidi overrides raw; escaped, the data a
    script reads back is unchanged and the bytes on a terminal are harmless. Only valid on JSON that ``json.dumps``
    made (those characters can then only stand inside strings)."""
    def esc(m: re.Match[str]) -> str:
        cp = ord(m.group(0))
        if cp > 0xFFFF:
            cp -= 0x10000
            return f"\\u{0xD800 + (cp >> 10):04x}\\u{0xDC00 + (cp & 0x3FF):04x}"
        return f"\\u{cp:04x}"

    return text if _plain(text, True) else _unsafe(True).sub(esc, text)
