"""Fonts and text clean-up shared by the ESC/POS and PDF back-ends.

Text a printer's code pages cannot hold (Chinese, Japanese, emoji...) is drawn with a font that has the glyphs;
finding one is the same job for both back-ends, so it lives here once. The order: the file named by
``$BOXOFFICE_PRINT_FONT``; a system font (fontconfig: fonts covering every character, then ``fc-match
:lang=zh-cn`` for Chinese, then well-known paths); last the font bundled with the program, so Chinese prints on a
machine without any CJK font (a fresh server, CI). A character no font has prints as a fallback glyph, with one
warning line in the log; the ticket or report is still produced.

The bundled font, ``fonts/wqy-microhei-gbk.ttf``, is WenQuanYi Micro Hei 0.2.0-beta (Apache-2.0, see
``fonts/LICENSE-wqy-microhei.txt``), taken from Debian's ``fonts-wqy-microhei`` package (``apt-get download
fonts-wqy-microhei``; ``dpkg-deb -x``; face 0 of ``wqy-microhei.ttc``) and subset once with fontTools (a build
step, not a dependency of the program): Basic Latin, Latin-1 and Latin Extended-A, general punctuation, currency
signs, letterlike symbols, arrows, enclosed numbers, box drawing, geometric shapes, CJK radicals, CJK symbols and
punctuation, half- and full-width forms, and every character of GBK (every two-byte code decoded: the 6,763 GB2312
hanzi and the rest of GBK's 21,003). Hinting dropped, TrueType (glyf) outlines kept, as reportlab needs them::

    from fontTools import subset
    from fontTools.ttLib import TTCollection
    font = TTCollection("wqy-microhei.ttc").fonts[0]
    options = subset.Options(); options.name_IDs = ["*"]; options.name_languages = ["*"]
    options.notdef_outline = True; options.hinting = False; options.layout_features = ["*"]
    subsetter = subset.Subsetter(options); subsetter.populate(unicodes=CHARACTERS); subsetter.subset(font)
    font.save("wqy-microhei-gbk.ttf")
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import subprocess
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import ImageFont

FONT_ENV = "BOXOFFICE_PRINT_FONT"
BUNDLED_FONT = Path(__file__).with_name("fonts") / "wqy-microhei-gbk.ttf"
FALLBACK_GLYPH = "\u25a1"  # WHITE SQUARE, in the bundled font: what a character no font has prints as

log = logging.getLogger(__name__)



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


@functools.lru_cache(maxsize=1)
def _fc_match_chinese() -> tuple[Path, ...]:
    """The font fontconfig picks for Chinese (``fc-match :lang=zh-cn``): a TrueType file, or nothing. fc-match
    always answers, with a Latin font on a system without CJK fonts: coverage is checked by the caller."""
    fc_match = shutil.which("fc-match")
    if not fc_match:
        return ()
    try:
        out = subprocess.run([fc_match, "--format=%{file}", ":lang=zh-cn"], capture_output=True, text=True,
                             timeout=10, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ()
    path = Path(out) if out else None
    return (path,) if path is not None and path.suffix.lower() in (".ttf", ".ttc") and path.is_file() else ()


def font_files_for(text: str, bold: bool = False) -> tuple[Path, ...]:
    """Font files to try, best first, for drawing ``text`` when a printer font cannot.

    Order: the file named by $BOXOFFICE_PRINT_FONT, fonts fontconfig says cover every character, the font
    ``fc-match :lang=zh-cn`` names and well-known CJK font paths when the text has CJK, then the bundled font
    (BUNDLED_FONT) whenever the text is not plain ASCII. A candidate may still lack a character:
    :func:`best_font` checks.
    """
    found: list[Path] = []
    override = os.environ.get(FONT_ENV)
    if override and Path(override).is_file():
        found.append(Path(override))
    wanted = frozenset(c for c in text if ord(c) >= 128 and not c.isspace())
    found += _fontconfig_files(wanted, bold)
    if any(is_cjk(c) for c in wanted):
        found += _fc_match_chinese()
        found += [Path(p) for p in _CJK_FONT_PATHS if Path(p).is_file()]
    if wanted and BUNDLED_FONT.is_file():
        found.append(BUNDLED_FONT)
    return tuple(dict.fromkeys(found))


@functools.lru_cache(maxsize=32)
def font_coverage(path: str) -> frozenset[int] | None:
    """The code points a TrueType file (face 0 of a collection) has glyphs for; None when it cannot be read
    (CFF outlines, a broken file). reportlab's parser: a dependency already, and no font library needed."""
    from reportlab.pdfbase.ttfonts import TTFError, TTFontFile

    try:
        return frozenset(TTFontFile(path, subfontIndex=0).charToGlyph)
    except (TTFError, OSError, ValueError, KeyError, IndexError):
        return None


_warned: set[str] = set()


def warn_missing(missing: str) -> None:
    """One warning line per set of characters no font has (they print as FALLBACK_GLYPH)."""
    chars = "".join(sorted(set(missing)))
    if chars and chars not in _warned:
        _warned.add(chars)
        codes = " ".join(f"U+{ord(c):04X}" for c in chars)
        log.warning("no font has %s (%s): printed as %s; set %s to a font that has them", chars, codes,
                    FALLBACK_GLYPH, FONT_ENV)


def best_font(text: str, bold: bool = False, *, truetype_only: bool = False) -> tuple[Path | None, str]:
    """The first font of :func:`font_files_for` that has every character of ``text`` (else the one missing
    fewest), and the characters none has (spaces and ASCII controls aside). ``truetype_only``: skip files
    reportlab cannot read. (None, "") when the text needs no font of its own (plain ASCII)."""
    needed = {c for c in text if ord(c) >= 128 and not c.isspace() and unicodedata.category(c)[0] != "C"}
    best: tuple[Path | None, str] = (None, "".join(sorted(needed)))
    for path in font_files_for(text, bold):
        cover = font_coverage(str(path))
        if cover is None:
            if truetype_only:
                continue
            return path, ""  # a font reportlab cannot read (CFF): Pillow can, trust what fontconfig said
        missing = "".join(sorted(c for c in needed if ord(c) not in cover))
        if not missing:
            return path, ""
        if best[0] is None or len(missing) < len(best[1]):
            best = (path, missing)
    return best


@functools.lru_cache(maxsize=64)
def _load_pil_font(path: str, size: int) -> ImageFont.FreeTypeFont | None:
    from PIL import ImageFont

    try:
        return ImageFont.truetype(path, size)
    except OSError:
        return None


def pil_font(text: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A Pillow font of ``size`` px for ``text``: the first of font_files_for that has every character (see
    :func:`best_font`; a missing one warns and draws the font's fallback box), else Pillow's own."""
    from PIL import ImageFont

    path, missing = best_font(text)
    if missing:
        warn_missing(missing)
    candidates = ([path] if path is not None else []) + list(font_files_for(text))
    for candidate in candidates:
        font = _load_pil_font(str(candidate), size)
        if font is not None:
            return font
    return ImageFont.load_default(size=size)


def clean_text(text: str) -> str:
    """Text safe to send to a printer: NFC-composed, no control or invisible format characters.

    NFC turns a decomposed "e + combining acute" into the one "é" a code page has. Control characters are
    replaced by spaces so a name like "ESC @" bytes cannot reset or reprogram the printer mid-ticket.
    """
    if text.isascii() and text.isprintable():  # nothing to compose or replace: most of every ticket
        return text
    text = unicodedata.normalize("NFC", text)
    out = []
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cc":
            out.append(" ")
        elif category != "Cf":
            out.append(ch)
    return "".join(out)
