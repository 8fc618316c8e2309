"""Receipt text laid out in the paper's columns: wrapping, both ends of a line, Chinese as GB18030.

Widths count columns, not characters: a Han character or a full-width form is two columns on the paper (Unicode
East Asian Width W and F), so Chinese lines wrap and right-align like Latin ones. In a printer's Chinese mode every
two-byte character is two columns. Functions of text, used by escpos_render.py for every line it prints.
"""

from __future__ import annotations

import textwrap
from typing import Any

from boxoffice.domain.widths import display_width
from boxoffice.printing.fonts import clean_text

CHINESE_MODES = ("image", "gb18030")  # the printer_chinese setting: how Chinese reaches the paper
FS_CHINESE_ON = b"\x1c&"  # FS &: Chinese (Kanji) character mode, two-byte GB18030/GBK codes
FS_CHINESE_OFF = b"\x1c."  # FS .: back to one-byte code pages


def paragraphs(text: str) -> list[str]:
    return [clean_text(part) for part in text.split("\n")]


def columns_of(text: str, chinese_mode: bool = False) -> int:
    """How many columns ``text`` takes on the paper: two for wide and full-width characters (East Asian Width W
    and F: Han, kana, Hangul, CJK punctuation, full-width forms), one for the rest. In a printer's Chinese mode
    every two-byte character is two columns, "×" and "·" too."""
    if text.isascii():  # one column each, as display_width counts them
        return len(text)
    if chinese_mode:
        return sum(1 if ord(ch) < 128 else 2 for ch in text)
    return display_width(text)


def wrap(text: str, width: int, chinese_mode: bool = False) -> list[str]:
    """Wrap at spaces, breaking words longer than a line; an empty paragraph stays one empty line. Chinese, which
    has no spaces, breaks between any two characters, each wide one counting two columns."""
    if text and len(text) <= width and text.isascii() and text.strip() == text and "\t" not in text:
        return [text]  # one line as it is: what textwrap gives for it, without its chunking
    if columns_of(text, chinese_mode) == len(text):
        return textwrap.wrap(text, max(1, width), replace_whitespace=False, drop_whitespace=True) or [""]
    width = max(2, width)
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if columns_of(candidate, chinese_mode) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
            current = ""
        for ch in word:
            if columns_of(current + ch, chinese_mode) > width:
                lines.append(current)
                current = ""
            current += ch
    lines.append(current)
    return [line.strip(" ") for line in lines if line.strip(" ")] or [""]


def two_ends(left: str, right: str, width: int, fill: str, chinese_mode: bool = False) -> list[str]:
    """Lay out ``left`` and ``right`` at both ends of ``width`` columns, wrapping when they do not fit."""

    def cols(text: str) -> int:
        return columns_of(text, chinese_mode)

    gap = width - cols(left) - cols(right)
    if gap >= 1:
        if fill != " " and gap >= 3:
            return [f"{left} {fill * (gap - 2)} {right}"]
        return [left + " " * gap + right]
    lines = wrap(left, width, chinese_mode)
    if cols(lines[-1]) + 1 + cols(right) <= width:  # the amount fits beside the last line of the description
        return lines[:-1] + two_ends(lines[-1], right, width, fill, chinese_mode)
    return lines + [" " * max(0, width - cols(r)) + r for r in wrap(right, width, chinese_mode)]


def gbk(text: str) -> bytes | None:
    """``text`` in the two-byte part of GB18030 (GBK) that Chinese printer fonts hold; None when it leaves it."""
    try:
        return text.encode("gbk")
    except UnicodeEncodeError:
        return None


def write_ascii(printer: Any, text: str) -> None:
    """``printer.text(text)`` for ASCII ``text`` on an escpos printer: the same bytes, without escpos' text writer.

    That writer first looks for Han with a regular expression whose compilation (a range of 20,000 characters)
    costs a process about 19 M instructions, needless for ASCII. Every code page holds ASCII as itself, so once a
    page is selected the text goes as its ASCII bytes; the first text selects the page the writer would pick for
    its first character, through escpos' own methods."""
    magic = printer.magic
    if magic.disabled or not text:
        printer.text(text)
    elif magic.encoding:
        printer._raw(text.encode("ascii"))
    else:
        encoding = magic.encoder.find_suitable_encoding(text[0])
        if encoding:
            magic.write_with_encoding(encoding, text)
        else:  # no code page holds it: escpos writes its placeholder
            printer.text(text)
