"""QR symbols for tickets: the module matrix at error correction M with the standard 4-module quiet zone.

Both back-ends draw from this matrix (raster dots on a receipt printer, vector squares in a PDF), so a ticket's
code is the same symbol wherever it is printed.
"""

from __future__ import annotations

import functools

from boxoffice.errors import BoxOfficeError

QR_BORDER = 4


@functools.lru_cache(maxsize=256)
def qr_matrix(data: str) -> tuple[tuple[bool, ...], ...]:
    """The QR modules for ``data`` at error correction M, with the 4-module quiet zone the standard asks.

    zxing-cpp's encoder (C++, already installed to read QR codes back) makes the symbol when it can: it is
    about twenty times faster than the pure-Python ``qrcode`` library, whose choice of mask pattern alone takes
    some 5 ms for a ticket token, the larger part of printing a sale. Text that is not ASCII, or an older
    zxing-cpp without an encoder, goes to ``qrcode``. Cached: a receipt printer and a PDF, a retry or a reprint
    of the same token reuse the symbol.
    """
    modules = _zxing_modules(data) if data.isascii() else None
    if modules is None:
        modules = _qrcode_modules(data)
    quiet = (False,) * (len(modules) + 2 * QR_BORDER)
    side = (False,) * QR_BORDER
    return (quiet,) * QR_BORDER + tuple(side + row + side for row in modules) + (quiet,) * QR_BORDER


_DARK_PIXEL = bytes(int(v < 128) for v in range(256))


def _too_long(data: str) -> BoxOfficeError:
    return BoxOfficeError("bad_input", f"QR data of {len(data)} characters is too long to print")


def _zxing_modules(data: str) -> tuple[tuple[bool, ...], ...] | None:
    """The symbol's modules without a quiet zone, from zxing-cpp; None when it has no encoder here."""
    try:
        import zxingcpp

        create = zxingcpp.create_barcode
    except (ImportError, AttributeError):
        return None
    try:
        image = create(data, zxingcpp.BarcodeFormat.QRCode, ec_level="M").to_image(scale=1, add_quiet_zones=False)
    except ValueError:
        raise _too_long(data) from None
    view = memoryview(image)
    width = view.shape[1]
    dark = view.tobytes().translate(_DARK_PIXEL)  # 1 for a dark module, 0 for a light one
    return tuple(tuple(map(bool, dark[i : i + width])) for i in range(0, len(dark), width))


def _qrcode_modules(data: str) -> tuple[tuple[bool, ...], ...]:
    import qrcode
    from qrcode.exceptions import DataOverflowError

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(data)
    try:
        code.make(fit=True)
    except DataOverflowError:
        raise _too_long(data) from None
    return tuple(tuple(bool(m) for m in row) for row in code.get_matrix())
