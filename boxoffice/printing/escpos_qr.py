"""A ticket's QR code as ESC/POS bytes, written directly: the printer's own QR command, or one raster image.

Why not python-escpos' ``qr()`` and ``image()``: its native QR is correct but cannot be centred and ignores what
the profile supports; its image path goes through PIL conversions (RGB, greyscale, inversion, packing) that took
most of the time a printed sale spent rendering (benchmarks/README.md, "Sales"). Both commands are simple and
fully specified, so they are built here as bytes.

Both keep the tickets' QR rules (tickets/token.py, printing/qr.py): error correction M, model 2, the smallest
version that holds the data (a signed token fits version 6), modules of at most about 0.85 mm, and at least
2 dots.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from boxoffice.errors import BoxOfficeError
from boxoffice.printing.qr import QR_BORDER, qr_matrix

if TYPE_CHECKING:
    from PIL import Image

GS = b"\x1d"
# GS ( k with cn = 49 ('1'): the QR code functions of ESC/POS.
_QR_MODEL_2 = 50  # fn 65 (A): n1 = 49 model 1, 50 model 2, 51 micro QR
_QR_EC_M = 49  # fn 69 (E): 48 L, 49 M, 50 Q, 51 H
_QR_MAX_STORE = 7089  # the most a printer's QR symbol store takes (numeric, version 40, error correction L)

# QR capacity at error correction M, versions 1-10, by mode (ISO/IEC 18004 table 7). A longer payload is sized
# from the symbol itself (qr_matrix).
_CAPACITY_M = {
    "numeric": (34, 63, 101, 149, 202, 255, 293, 365, 432, 513),
    "alphanumeric": (20, 38, 61, 90, 122, 154, 178, 221, 262, 311),
    "byte": (14, 26, 42, 62, 84, 106, 122, 152, 180, 213),
}
_ALPHANUMERIC = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")

# Dots of a QR module: at least 2 (a 1-dot module does not scan), at most about 0.85 mm (bigger wastes paper).
QR_MIN_BOX = 2
QR_MAX_MODULE_MM = 0.85


def qr_modules(data: str) -> int:
    """Modules across the symbol for ``data`` at error correction M, quiet zone included.

    From the capacity table for a payload of one mode (a ticket token is all alphanumeric), so the printer's own
    QR command needs no symbol drawn here; the same version a printer or an encoder chooses for such data.
    """
    if data.isdigit() and data.isascii():
        mode, length = "numeric", len(data)
    elif _ALPHANUMERIC.issuperset(data):
        mode, length = "alphanumeric", len(data)
    else:
        mode, length = "byte", len(data.encode("utf-8"))
    for version, capacity in enumerate(_CAPACITY_M[mode], start=1):
        if length <= capacity:
            return 17 + 4 * version + 2 * QR_BORDER
    return len(qr_matrix(data))


def qr_box_size(modules: int, paper_px: int, dpi: int) -> int:
    """Dots per QR module: as large as fits in the paper width, up to about 0.85 mm a module."""
    largest = max(QR_MIN_BOX, round(dpi * QR_MAX_MODULE_MM / 25.4))
    box = min(largest, paper_px // modules)
    if box < 1:
        raise BoxOfficeError("bad_input", f"a QR code of {modules} modules does not fit on {paper_px} dots")
    return box


def _qr_function(fn: int, body: bytes) -> bytes:
    """One ``GS ( k`` function of the QR code (cn = 49): pL pH cn fn, then the function's bytes."""
    return GS + b"(k" + (len(body) + 2).to_bytes(2, "little") + bytes((49, fn)) + body


def native_qr(data: str, paper_px: int, dpi: int) -> bytes:
    """The printer's own QR command for ``data``: model 2, error correction M, modules sized for the paper.

    Select model, set module size, set error correction, store the data, print it. The printer picks the
    smallest version that holds the data, as the image path does. The caller sets the alignment (centre).
    """
    payload = data.encode("utf-8")
    if len(payload) > _QR_MAX_STORE:
        raise BoxOfficeError("bad_input", f"QR data of {len(data)} characters is too long to print")
    size = min(16, qr_box_size(qr_modules(data), paper_px, dpi))
    return b"".join((
        _qr_function(65, bytes((_QR_MODEL_2, 0))),
        _qr_function(67, bytes((size,))),
        _qr_function(69, bytes((_QR_EC_M,))),
        _qr_function(80, b"0" + payload),
        _qr_function(81, b"0"),
    ))


@functools.lru_cache(maxsize=64)
def qr_raster(data: str, paper_px: int, dpi: int) -> bytes:
    """The QR as one paper-wide ``GS v 0`` raster image, centred by its own white margin.

    Built from the module matrix row by row (one row of dots per module row, repeated ``box`` times), with no
    image library in between. The same dots as the image the other image commands print. Cached for reprints.
    """
    matrix = qr_matrix(data)
    modules = len(matrix)
    box = qr_box_size(modules, paper_px, dpi)
    width_bytes = (paper_px + 7) // 8
    margin = (paper_px - modules * box) // 2
    width_bits = width_bytes * 8
    dots = ("0" * box, "1" * box)  # a light module, a dark one (a bool indexes the pair)
    shift = width_bits - margin - modules * box
    rows = [(int("".join(map(dots.__getitem__, row)), 2) << shift).to_bytes(width_bytes, "big") * box
            for row in matrix]
    height = modules * box
    header = GS + b"v0\x00" + width_bytes.to_bytes(2, "little") + height.to_bytes(2, "little")
    return header + b"".join(rows)


def qr_image(data: str, paper_px: int, dpi: int) -> Image.Image:
    """The QR as a paper-wide image, centred by its own white margin (so no printer alignment is needed): for
    the image commands other than ``GS v 0`` (graphics, column images), which go through escpos."""
    from PIL import Image

    matrix = qr_matrix(data)
    modules = len(matrix)
    box = qr_box_size(modules, paper_px, dpi)
    small = Image.new("1", (modules, modules), 1)
    small.putdata([0 if dark else 1 for row in matrix for dark in row])
    code = small.resize((modules * box, modules * box), Image.Resampling.NEAREST)
    img = Image.new("1", (paper_px, modules * box), 1)
    img.paste(code, ((paper_px - modules * box) // 2, 0))
    return img
