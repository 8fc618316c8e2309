"""Fonts and text clean-up shared by the ESC/POS and PDF back-ends.

Text a printer's code pages cannot hold (Chinese, Japanese, emoji...) is drawn with a system font that has the
glyphs; finding one is the same job for both back-ends, so it lives here once.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import ImageFont

FONT_ENV = "BOXOFFICE_PRINT_FONT"



def is_cjk(ch: str) -> bool:
    """True for Han, kana, Hangul and CJK punctuation: text that needs a CJK font."""
    cp = ord(ch)
    return (
        0x2E80 <= cp <= 0x9FFF  # radicals, CJK punctuation, kana, Han
        or 0xAC00 <= cp <= 0xD7AF  # Hangul
        or 0xF900 <= cp <= 0xFAFF  # compatibility ideographs
        or 0xFF00 <= cp <= 0xFFEF  # full-width forms
        or 0x20000 <= cp <= 0x3FFFF  # Han extensions
    )


# Where CJK fonts live on common systems, for when fontconfig is not there to ask.
_CJK_FONT_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Light.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simsun.ttc",
)


def _font_rank(line: str, bold: bool) -> tuple[int, str]:
    """Sort key for fc-list results: plain sans faces (bold ones when asked) first, then by path, so the
    choice is the same on every run."""
    path, _, style = line.partition("|")
    lower, style = path.lower(), style.lower()
    penalty = 0
    if "mono" in lower or "serif" in lower or "math" in lower:
        penalty += 4
    if any(word in style for word in ("italic", "oblique", "light", "condensed")):
        penalty += 2
    if ("bold" in style) != bold:
        penalty += 1
    return penalty, path


@functools.lru_cache(maxsize=256)
def _fontconfig_files(chars: frozenset[str], bold: bool) -> tuple[Path, ...]:
    """Font files fontconfig says cover every one of ``chars`` (empty without fontconfig)."""
    fc_list = shutil.which("fc-list")
    if not fc_list or not chars:
        return ()
    charset = " ".join(f"{ord(c):x}" for c in sorted(chars))
    try:
        out = subprocess.run(
            [fc_list, f":charset={charset}", "--format=%{file}|%{style}\n"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    lines = sorted({line for line in out.splitlines() if line.strip()}, key=lambda x: _font_rank(x, bold))
    return tuple(Path(line.partition("|")[0]) for line in lines)


def font_files_for(text: str, bold: bool = False) -> tuple[Path, ...]:
    """Font files to try, best first, for drawing ``text`` when a printer font cannot.

    Order: the file named by $BOXOFFICE_PRINT_FONT, fonts fontconfig says cover every character, then
    well-known CJK font paths when the text has CJK. Empty when the system has none: callers fall back to
    Pillow's built-in font (Latin only, so CJK then prints as boxes, still never as '?').
    """
    found: list[Path] = []
    override = os.environ.get(FONT_ENV)
    if override and Path(override).is_file():
        found.append(Path(override))
    wanted = frozenset(c for c in text if ord(c) >= 128 and not c.isspace())
    found += _fontconfig_files(wanted, bold)
    if any(is_cjk(c) for c in wanted):
        found += [Path(p) for p in _CJK_FONT_PATHS if Path(p).is_file()]
    return tuple(dict.fromkeys(found))


@functools.lru_cache(maxsize=64)
def _load_pil_font(path: str, size: int) -> ImageFont.FreeTypeFont | None:
    from PIL import ImageFont

    try:
        return ImageFont.truetype(path, size)
    except OSError:
        return None


def pil_font(text: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A Pillow font of ``size`` px for ``text``: the first usable one of font_files_for, else Pillow's."""
    from PIL import ImageFont

    for path in font_files_for(text):
        font = _load_pil_font(str(path), size)
        if font is not None:
            return font
    return ImageFont.load_default(size=size)


def clean_text(text: str) -> str:
    """Text safe to send to a printer: NFC-composed, no control or invisible format characters.

    NFC turns a decomposed "e + combining acute" into the one "é" a code page has. Control characters are
    replaced by spaces so a name like "ESC @" bytes cannot reset or reprogram the printer mid-ticket.
    """
    text = unicodedata.normalize("NFC", text)
    out = []
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cc":
            out.append(" ")
        elif category != "Cf":
            out.append(ch)
    return "".join(out)
