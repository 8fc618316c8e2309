"""Render a Layout to ESC/POS bytes for a receipt printer, through python-escpos.

The output is plain bytes so the print-job queue can store them and send them again on retry. What this module
does on top of python-escpos, and why (see DESIGN.md, "Known traps in the chosen libraries"):

- escpos is imported only inside functions: the import costs ~170 ms, which ``boxoffice --help`` must not pay.
- Its capability cache, a pickle (loading it runs code), goes only to a directory no other user can write into
  (ESCPOS_CAPABILITIES_PICKLE_DIR): under the user cache, else /tmp/boxoffice-escpos-UID, else a new one removed
  after the import. The empty temporary directory its import makes regardless of that setting, and the root log
  handler it installs, are both undone; a terminal that prints all day would otherwise fill /tmp and stderr.
- A profile is always given, and a profile without a known paper width gets one estimated from its columns, so
  escpos never prints notices to stdout (which would corrupt ``--json`` output).
- Text goes through escpos' code-page machinery (accented Latin, Cyrillic, Greek...). A line the printer's
  code pages cannot hold (Chinese, Japanese, emoji...) is drawn into a raster image with a font that has the
  glyphs, instead of reaching ``text()``, which would print '?' or send GB18030 with no code-page command.
- The QR is the printer's own QR command (``GS ( k``: model 2, error correction M, modules sized for the paper)
  where the profile says the model has one, which sends ~190 bytes instead of a 19 kB image and draws nothing
  here; elsewhere, or with ``printer_qr = "image"``, a raster image of the same symbol (escpos_qr.py), so every
  printer that prints images prints a decodable code.
- Blocks that are the same on every ticket (venue, event, date, labels, rules, the cut) are rendered once per
  profile and starting state and reused (``_Renderer.block``).
- Control characters in names are stripped: a customer name must never be able to inject printer commands.
- Chinese: a printer with a Chinese font in ROM (``printer_chinese = "gb18030"``; Chinese-market models) gets
  Chinese lines as text, GB18030 (its two-byte GBK part) between ``FS &`` (Chinese mode on) and ``FS .`` (off);
  every other printer gets them as a raster image (``"image"``, the default), drawn with a CJK font (fonts.py).
- Widths count columns, not characters: a Han character or a full-width form is two columns on the paper
  (Unicode East Asian Width W and F), so Chinese lines wrap and right-align like Latin ones.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import logging
import os
import shutil
import stat
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _
from boxoffice.printing.escpos_qr import native_qr as native_qr_bytes
from boxoffice.printing.escpos_qr import qr_box_size, qr_image, qr_raster  # noqa: F401
from boxoffice.printing.escpos_text import CHINESE_MODES, FS_CHINESE_OFF, FS_CHINESE_ON, gbk, write_ascii
from boxoffice.printing.escpos_text import paragraphs as _paragraphs
from boxoffice.printing.escpos_text import two_ends as _two_ends
from boxoffice.printing.escpos_text import wrap as _wrap
from boxoffice.printing.fonts import FONT_ENV, clean_text, font_files_for, is_cjk, pil_font  # noqa: F401
from boxoffice.printing.layout import QR, Block, Columns, Cut, DrawerKick, Feed, Layout, Rule, Text
from boxoffice.printing.text_image import text_image

if TYPE_CHECKING:
    from PIL import Image

DEFAULT_PROFILE = "TM-T88V"
# A few well-known profiles, shown when an unknown name is given.
SUGGESTED_PROFILES = ("TM-T88V", "TM-T20II", "TM-P80", "TSP600", "RP-F10-80mm", "POS-5890", "simple")

# Dots of printer font A: 12 wide on nearly every 80 mm and 58 mm thermal printer.
_FONT_A_WIDTH = 12
# Paper fed on a printer without a cutter, so the last line clears the tear bar.
_TEAR_OFF_LINES = 4
_IMAGE_IMPLS = ("bitImageRaster", "graphics", "bitImageColumn")

_import_lock = threading.Lock()


# --------------------------------------------------------------------------------------------------------
# Importing escpos


def _private_dir(path: Path) -> bool:
    """Whether escpos may unpickle from ``path``: whoever can put a file there has code run as the operator by the
    next import of escpos. So only a directory (not a link) of this user's that nobody else can write into."""
    with contextlib.suppress(OSError):
        st = os.lstat(path)
        if stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o022:
            if st.st_mode & 0o077:  # made under the umask by an earlier version; readable is all others could do
                os.chmod(path, 0o700)
            return True
    return False


def _pickle_dir() -> Path | None:
    """The directory for escpos' capability cache: the user cache, else this user's own under the temp dir; None
    when neither is private to this user (another user made it first, say). Never the temp dir itself."""
    candidates: list[Path] = []
    with contextlib.suppress(ImportError):  # platformdirs is a dependency; stay usable without it
        import platformdirs

        candidates.append(Path(platformdirs.user_cache_dir("boxoffice")) / "escpos")
    if not hasattr(os, "getuid"):  # pragma: no cover - Windows: the user cache is in the user's own profile
        return candidates[0] if candidates else None
    candidates.append(Path(tempfile.gettempdir()) / f"boxoffice-escpos-{os.getuid()}")
    for candidate in candidates:
        with contextlib.suppress(OSError):
            candidate.parent.mkdir(parents=True, exist_ok=True)
            candidate.mkdir(mode=0o700)
        if _private_dir(candidate):
            return candidate
    return None


def load_escpos() -> Any:
    """Import python-escpos the way this project needs it; returns the ``escpos.printer`` module."""
    if "escpos.capabilities" in sys.modules:
        import escpos.printer

        return escpos.printer
    with _import_lock:
        # A setdefault that only computes (and creates) our default directory when none is configured.
        configured = os.environ.get("ESCPOS_CAPABILITIES_PICKLE_DIR")
        scratch = None
        if configured:
            with contextlib.suppress(OSError):  # escpos crashes on a missing directory
                Path(configured).mkdir(parents=True, exist_ok=True)
        else:
            found = _pickle_dir()
            if found is None:
                found = scratch = Path(tempfile.mkdtemp(prefix="boxoffice-escpos-"))
            os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"] = str(found)
        pickle_dir = os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"]
        root_handlers = list(logging.root.handlers)
        real_mkdtemp = tempfile.mkdtemp
        # escpos.capabilities evaluates ``environ.get(NAME, mkdtemp())``: the default is made (and left behind
        # in /tmp) even when NAME is set. During this one import, mkdtemp hands back the configured directory.
        tempfile.mkdtemp = lambda *args, **kwargs: pickle_dir  # type: ignore[assignment]
        try:
            from boxoffice.printing.deferred import defer

            defer("yaml", "qrcode")  # imported by escpos, used only now and then (printing/deferred.py)
            import escpos.printer
        finally:
            tempfile.mkdtemp = real_mkdtemp
            if scratch is not None:  # read during the import only; named nowhere after it, for no process to reuse
                del os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"]
                shutil.rmtree(scratch, ignore_errors=True)
            # escpos.capabilities calls logging.basicConfig(); keep the application's logging as it was.
            for handler in logging.root.handlers[:]:
                if handler not in root_handlers:
                    logging.root.removeHandler(handler)
    return escpos.printer


# --------------------------------------------------------------------------------------------------------
# Profiles


@dataclass(frozen=True)
class ProfileInfo:
    """What rendering needs to know about a printer model, from escpos-printer-db.

    ``paper_px`` is the printable width in dots (estimated from the font-A columns when the database does not
    say); ``image_impl`` is the escpos image method the model supports, or None when it prints no images.
    """

    name: str
    paper_px: int
    paper_px_known: bool
    dpi: int
    columns: int
    has_cutter: bool
    native_qr: bool
    drawer: bool
    image_impl: str | None


def _unknown_profile(name: str, known: list[str]) -> BoxOfficeError:
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    examples = ", ".join(SUGGESTED_PROFILES)
    return BoxOfficeError("bad_input", f"unknown printer profile {name!r}: {hint}use one of {examples} "
                          f"({len(known)} known)", profile=name)


@functools.lru_cache(maxsize=64)
def profile_info(name: str = DEFAULT_PROFILE) -> ProfileInfo:
    """Look up a profile by its escpos-printer-db name; an unknown name raises ``bad_input``."""
    load_escpos()
    from escpos.capabilities import CAPABILITIES

    profiles = CAPABILITIES["profiles"]
    if name not in profiles:
        raise _unknown_profile(name, sorted(profiles))
    data = profiles[name]
    features = data.get("features", {})
    columns = int(data.get("fonts", {}).get("0", {}).get("columns", 42))
    width = data.get("media", {}).get("width", {})
    pixels, mm = width.get("pixels"), width.get("mm")
    known = isinstance(pixels, int) and pixels > 0
    paper_px = pixels if known else columns * _FONT_A_WIDTH
    dpi_value = data.get("media", {}).get("dpi")
    if isinstance(dpi_value, int):
        dpi = dpi_value
    elif known and isinstance(mm, int | float) and mm > 0:
        dpi = round(pixels / mm * 25.4)
    else:
        dpi = 203
    impl = next((i for i in _IMAGE_IMPLS if features.get(i)), None)
    return ProfileInfo(name=name, paper_px=int(paper_px), paper_px_known=known, dpi=dpi, columns=columns,
                       has_cutter=bool(features.get("paperFullCut") or features.get("paperPartCut")),
                       native_qr=bool(features.get("qrCode")), drawer=bool(features.get("pulseStandard")),
                       image_impl=impl)


# --------------------------------------------------------------------------------------------------------
# Rendering


# Rendered blocks: by (profile, Chinese mode), then by (block's cache key, starting style, starting code page); see
# _Renderer.block. The outer key is looked up once per render, so each block's key holds only plain values.
_BLOCK_CACHE_SIZE = 4096  # blocks per profile and mode
_Rendered = tuple[bytes, tuple[bool, int, str] | None, str | None]
_BLOCK_CACHE: dict[tuple[ProfileInfo, bool], dict[tuple[Any, ...], _Rendered]] = {}


class _Renderer:
    """Walks a layout and drives one escpos Dummy printer; one instance per render."""

    def __init__(self, printer: Any, info: ProfileInfo, native_qr: bool, chinese: str = "image") -> None:
        self.p = printer
        self.info = info
        self.native_qr = native_qr
        self.chinese = chinese == "gb18030"
        self._style: tuple[bool, int, str] | None = None
        self._cache = _BLOCK_CACHE.setdefault((info, self.chinese), {})

    def chinese_text(self, text: str) -> bool:
        """True when ``text`` goes to the printer as Chinese text (printer_chinese = "gb18030"; GBK holds it)."""
        return self.chinese and gbk(text) is not None

    def chinese_line(self, line: str) -> None:
        """One printed line in the printer's Chinese mode: GB18030 bytes between FS & and FS ."""
        data = gbk(line)
        assert data is not None
        self.p._raw(FS_CHINESE_ON + data + FS_CHINESE_OFF + b"\n")

    def encodable(self, text: str) -> bool:
        """True when the printer's code pages hold every character; Han never reaches escpos' GB18030 path."""
        if text.isascii():
            return True
        encoder = self.p.magic.encoder
        return all(ord(ch) < 128 or (not is_cjk(ch) and encoder.find_suitable_encoding(ch)) for ch in text)

    def line(self, text: str) -> None:
        """``textln(text)`` through escpos, but a plain ASCII line goes as its ASCII bytes (``write_ascii``)."""
        if text.isascii():
            write_ascii(self.p, text + "\n")
        else:
            self.p.textln(text)

    def style(self, bold: bool = False, size: int = 1, align: str = "left") -> None:
        """Set the text style, sending commands only when it changes (escpos repeats ESC ! three times)."""
        if self._style == (bold, size, align):
            return
        self._style = (bold, size, align)
        double = size == 2
        self.p.set(
            align=align,
            bold=bold,
            normal_textsize=not double,
            double_width=double,
            double_height=double,
        )

    def image(self, img: Image.Image) -> None:
        impl = self.info.image_impl
        if impl is None:
            raise BoxOfficeError(
                "bad_input",
                f"printer profile {self.info.name} cannot print images (QR codes, Chinese text): "
                "choose the profile of the printer model",
                profile=self.info.name,
            )
        self.style()
        # ESC * is for impact printers, which know only the 8-dot column modes.
        column = impl == "bitImageColumn"
        self.p.image(img, impl=impl, high_density_vertical=not column, high_density_horizontal=True)

    def text(self, block: Text) -> None:
        columns = max(1, self.info.columns // block.size)
        for paragraph in _paragraphs(block.text):
            if self.encodable(paragraph):
                self.style(block.bold, block.size, block.align)
                for line in _wrap(paragraph, columns):
                    self.line(line)
            elif self.chinese_text(paragraph):
                self.style(block.bold, block.size, block.align)
                for line in _wrap(paragraph, columns, chinese_mode=True):
                    self.chinese_line(line)
            else:
                lines = [(paragraph, "")]
                self.image(text_image(lines, self.info.paper_px, block.size, block.bold, block.align))
        self.style()

    def columns(self, block: Columns) -> None:
        left = clean_text(block.left).replace("\n", " ")
        right = clean_text(block.right).replace("\n", " ")
        if self.encodable(left + right + block.fill):
            self.style(bold=block.bold)
            for line in _two_ends(left, right, self.info.columns, block.fill):
                self.line(line)
            self.style()
        elif self.chinese_text(left + right + block.fill):
            self.style(bold=block.bold)
            for line in _two_ends(left, right, self.info.columns, block.fill, chinese_mode=True):
                self.chinese_line(line)
            self.style()
        else:
            self.image(text_image([(left, right)], self.info.paper_px, 1, block.bold, "left"))

    def qr(self, block: QR) -> None:
        """The printer's own QR command where the profile has one (and it is not switched off), else an image."""
        if self.native_qr and self.info.native_qr:
            self.style(align="center")
            self.p._raw(native_qr_bytes(block.data, self.info.paper_px, self.info.dpi))
            write_ascii(self.p, "\n")  # p.ln()
            self.style()
        elif self.info.image_impl == "bitImageRaster":
            self.style()
            self.p._raw(qr_raster(block.data, self.info.paper_px, self.info.dpi))
        else:
            self.image(qr_image(block.data, self.info.paper_px, self.info.dpi))

    def block(self, block: Block) -> None:
        """Render one block, from the cache when the same block was rendered in the same state before.

        A block's bytes depend only on the profile, the block and the state it starts in (the text style and
        the code page escpos last selected), so a ticket's venue, event, date, labels and cut, the same on
        every ticket of a night, are rendered once. QR codes differ per ticket and are not cached here.
        """
        if isinstance(block, QR):
            self.qr(block)
            return
        magic = self.p.magic
        cache = self._cache
        key = (block.cache_key(), self._style, magic.encoding)
        hit = cache.get(key)
        if hit is not None:
            data, self._style, magic.encoding = hit
            if data:
                self.p._raw(data)
            return
        output = self.p._output_list
        start = len(output)
        self.draw(block)
        if len(cache) >= _BLOCK_CACHE_SIZE:
            with contextlib.suppress(RuntimeError, StopIteration):  # another thread changed it meanwhile
                cache.pop(next(iter(cache)), None)  # the oldest entry
        cache[key] = (b"".join(output[start:]), self._style, magic.encoding)

    def draw(self, block: Block) -> None:
        """Render one block through escpos."""
        if isinstance(block, Text):
            self.text(block)
        elif isinstance(block, Columns):
            self.columns(block)
        elif isinstance(block, QR):
            self.qr(block)
        elif isinstance(block, Rule):
            self.style()
            self.line("-" * self.info.columns)
        elif isinstance(block, Feed):
            if block.lines:
                self.p.print_and_feed(block.lines)
        elif isinstance(block, Cut):
            if self.info.has_cutter:
                self.p.cut()  # feeds past the cutter first
            else:
                self.p.print_and_feed(_TEAR_OFF_LINES)
        elif isinstance(block, DrawerKick):
            if self.info.drawer:
                self.p.cashdraw(2)
        else:  # pragma: no cover - the Block union is closed
            raise TypeError(f"not a layout block: {block!r}")


_ENCODERS: dict[str, Any] = {}  # escpos' code-page encoder by profile name (_dummy_printer)
# Dummy printers done with, by profile, to be used again (_dummy_printer): making one builds escpos' profile object and
# a code-page encoder that is thrown away for the shared one, three times a sale.
_PRINTERS: dict[ProfileInfo, list[Any]] = {}
_PRINTERS_KEPT = 4  # per profile: one per thread rendering at once is all that is ever reused


@contextlib.contextmanager
def _dummy_printer(info: ProfileInfo) -> Iterator[Any]:
    """A Dummy printer for ``info`` in the state a new one starts in: nothing written, no code page selected.

    One used before is handed out again (escpos keeps no other state on a printer: its profile, the code page its
    text encoder last selected, and the bytes written)."""
    kept = _PRINTERS.setdefault(info, [])
    try:
        printer = kept.pop()
    except IndexError:
        printer = _new_dummy_printer(info)
    try:
        yield printer
    finally:
        printer.clear()
        printer.magic.encoding = None
        if len(kept) < _PRINTERS_KEPT:
            kept.append(printer)


def _new_dummy_printer(info: ProfileInfo) -> Any:
    printer_module = load_escpos()
    printer = printer_module.Dummy(profile=info.name)
    # escpos builds each code page's character map on first use, per encoder: a fresh printer per job would
    # build them again for every job. The maps depend only on the profile, so one encoder per profile serves all.
    shared = _ENCODERS.setdefault(info.name, printer.magic.encoder)
    printer.magic.encoder = shared
    if not info.paper_px_known:
        # Give escpos our width estimate, on this instance only: with "Unknown" it prints a notice per image.
        data = dict(printer.profile.profile_data)
        media = dict(data.get("media", {}))
        media["width"] = {**media.get("width", {}), "pixels": info.paper_px}
        data["media"] = media
        printer.profile.profile_data = data
    return printer


def render_escpos(layout: Layout, profile: str = DEFAULT_PROFILE, *, native_qr: bool = True,
                  chinese: str = "image") -> bytes:
    """ESC/POS bytes for ``layout`` on a printer of model ``profile`` (an escpos-printer-db name).

    The bytes start with a printer reset, so a job never inherits the size or code page a previous one left.
    The QR is the printer's own QR command where the profile has one (``qrCode`` in escpos-printer-db), else an
    image; ``native_qr=False`` (the ``printer_qr = "image"`` setting) prints it as an image everywhere, for a
    printer whose QR command misbehaves. ``chinese`` (the ``printer_chinese`` setting): "image" draws Chinese
    lines as raster images (any printer that prints images); "gb18030" sends them as text in the printer's
    Chinese mode (a printer with a Chinese font). Raises ``bad_input`` for an unknown profile or one that cannot
    print what the layout needs.
    """
    if chinese not in CHINESE_MODES:
        raise BoxOfficeError("bad_input", _("unknown Chinese printing mode {mode}: use 'image' or 'gb18030'").format(
            mode=repr(chinese)))
    info = profile_info(profile)
    with _dummy_printer(info) as printer:
        printer.hw("INIT")
        renderer = _Renderer(printer, info, native_qr, chinese)
        for block in layout:
            renderer.block(block)
        return bytes(printer.output)
