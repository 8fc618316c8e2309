"""Test helper: read an ESC/POS byte stream back into what a printer would put on paper.

The decoder understands the commands python-escpos emits: text with code-page switches (ESC t), styles
(ESC ! / E / a, GS !), feeds, cuts (GS V), the drawer kick (ESC p), raster images (GS v 0), graphics
(GS ( L), column images (ESC *) and native QR codes (GS ( k). Anything else raises ValueError, so a test
notices when the renderer starts sending bytes nobody expected.

A native QR code is read the way the printer reads it: the model, module size and error correction set before it
(the printer's defaults, model 2, size 3, L, after a reset when none were sent), the stored bytes as UTF-8, and
the alignment in force. ``qr_image`` draws such a code as the printer would (with the ``qrcode`` library, not
the project's own encoder), so it can be scanned like a printed image; ``scan_all`` does that for a whole job.

Also here: ``FakeNetworkPrinter``, a raw-port printer on 127.0.0.1 that keeps the bytes each job sent, and
``sample_token``, QR payloads shaped like the real ones (base45 text of about 140 characters).
"""

from __future__ import annotations

import random
import socketserver
import threading
from dataclasses import dataclass, field
from typing import Any

import qrcode
import zxingcpp
from PIL import Image, ImageOps

ESC, GS, LF, CR, HT, NUL = 0x1B, 0x1D, 0x0A, 0x0D, 0x09, 0x00
FS = 0x1C  # FS & / FS .: a Chinese printer's Chinese (Kanji) mode on and off: two-byte GB18030 codes between

# ESC commands with a fixed number of parameter bytes (those needing more logic are handled apart).
_ESC_FIXED = {
    ord("@"): 0,
    ord("!"): 1,
    ord("E"): 1,
    ord("G"): 1,
    ord("-"): 1,
    ord("a"): 1,
    ord("M"): 1,
    ord("t"): 1,
    ord("d"): 1,
    ord("J"): 1,
    ord("p"): 3,
    ord("{"): 1,
    ord("2"): 0,
    ord("3"): 1,
    ord("="): 1,
    ord("r"): 1,
    ord("B"): 2,
}
_GS_FIXED = {ord("!"): 1, ord("B"): 1, ord("b"): 1, ord("|"): 1, ord("H"): 1, ord("h"): 1, ord("w"): 1}
_ALIGN = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}
# GS ( k QR settings: fn 65 model (n1), fn 69 error correction (n); the printer's values after ESC @.
_QR_MODELS = {49: 1, 50: 2, 51: "micro"}
_QR_EC = {48: "L", 49: "M", 50: "Q", 51: "H"}
_QR_DEFAULTS = (2, 3, "L")


@dataclass(frozen=True)
class NativeQR:
    """A QR code the printer draws itself (GS ( k): what it holds and how it was asked to draw it."""

    data: str
    model: int | str
    size: int
    ec: str
    align: str


@dataclass
class Line:
    """One printed text line and the style it was printed in."""

    text: str
    bold: bool = False
    double_width: bool = False
    double_height: bool = False
    align: str = "left"


@dataclass
class Decoded:
    """What came out of the printer, in order.

    ``events`` is the sequence of ("text", Line), ("image", index into images), ("qr", index into native_qrs),
    ("cut", None) and ("drawer", None), for checks about order (a cut after each ticket, the QR inside a ticket).
    ``qr_codes`` holds the data of each native QR code, ``native_qrs`` the whole command.
    """

    lines: list[Line] = field(default_factory=list)
    images: list[Image.Image] = field(default_factory=list)
    qr_codes: list[str] = field(default_factory=list)
    native_qrs: list[NativeQR] = field(default_factory=list)
    cuts: int = 0
    drawer_kicks: int = 0
    code_pages: list[int] = field(default_factory=list)
    events: list[tuple[str, Any]] = field(default_factory=list)
    chinese_modes: int = 0  # FS & commands seen: text sent in the printer's Chinese mode

    @property
    def texts(self) -> list[str]:
        return [line.text for line in self.lines]

    @property
    def text(self) -> str:
        return "\n".join(self.texts)

    def pieces(self) -> list[list[tuple[str, Any]]]:
        """The events split at each cut: one list per piece of paper."""
        out: list[list[tuple[str, Any]]] = [[]]
        for event in self.events:
            out[-1].append(event)
            if event[0] == "cut":
                out.append([])
        return [piece for piece in out if piece]


def code_page_tables(profile: str) -> dict[int, list[str]]:
    """Characters 128-255 of every code page the profile declares, by ESC t index (escpos' own tables)."""
    from boxoffice.printing.escpos_render import profile_info

    profile_info(profile)  # imports escpos the project's way
    from escpos.capabilities import get_profile
    from escpos.magicencode import Encoder

    tables: dict[int, list[str]] = {}
    for index, name in get_profile(profile).codePages.items():
        try:
            tables[int(index)] = Encoder._get_codepage_char_list(name)
        except (LookupError, KeyError):
            continue
    return tables


def _raster_to_image(width_bytes: int, height: int, data: bytes) -> Image.Image:
    """A 1-bit raster where 1 is a black dot, as a white-background greyscale image."""
    img = Image.frombytes("1", (width_bytes * 8, height), data)
    return ImageOps.invert(img.convert("L"))


def _columns_to_image(columns: int, dots: int, data: bytes) -> Image.Image:
    """ESC * column data (each column ``dots`` high, top bit first) as a white-background image."""
    tall = Image.frombytes("1", (dots, columns), data)  # one row per column
    return ImageOps.invert(tall.transpose(Image.Transpose.TRANSPOSE).convert("L"))


def _stack(stripes: list[Image.Image]) -> Image.Image:
    width = max(s.width for s in stripes)
    out = Image.new("L", (width, sum(s.height for s in stripes)), 255)
    y = 0
    for stripe in stripes:
        out.paste(stripe, (0, y))
        y += stripe.height
    return out


class _Reader:
    def __init__(self, data: bytes, tables: dict[int, list[str]]) -> None:
        self.data = data
        self.pos = 0
        self.tables = tables
        self.out = Decoded()
        self.buffer: list[str] = []
        self.code_page = 0
        self.bold = False
        self.dw = False
        self.dh = False
        self.align = "left"
        self.stripes: list[Image.Image] = []
        self.after_stripe = False
        self.stored_image: Image.Image | None = None
        self.stored_qr: str | None = None
        self.qr_settings: tuple[int | str, int, str] = _QR_DEFAULTS
        self.chinese = False  # FS & ... FS .: bytes from 0x81 up are the two bytes of a GB18030 character
        self.chinese_modes = 0  # how many times FS & was sent

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ValueError(f"truncated command at byte {self.pos}")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def commit(self) -> None:
        line = Line("".join(self.buffer), self.bold, self.dw, self.dh, self.align)
        self.out.lines.append(line)
        self.out.events.append(("text", line))
        self.buffer = []

    def add_image(self, img: Image.Image) -> None:
        self.out.images.append(img)
        self.out.events.append(("image", len(self.out.images) - 1))

    def flush_stripes(self) -> None:
        if self.stripes:
            self.add_image(_stack(self.stripes))
            self.stripes = []

    def char(self, byte: int) -> str:
        if byte < 0x80:
            return chr(byte)
        table = self.tables.get(self.code_page)
        if table is None:
            return bytes([byte]).decode("cp437")
        return table[byte - 0x80]

    def run(self) -> Decoded:
        while self.pos < len(self.data):
            byte = self.take(1)[0]
            after_stripe, self.after_stripe = self.after_stripe, False
            if byte == ESC:
                self.esc()
            elif byte == GS:
                self.flush_stripes()
                self.gs()
            elif byte == FS:
                self.flush_stripes()
                cmd = self.take(1)
                if cmd == b"&":
                    self.chinese = True
                    self.chinese_modes += 1
                elif cmd == b".":
                    self.chinese = False
                else:
                    raise ValueError(f"unknown command FS {cmd!r} at {self.pos - 2}")
            elif self.chinese and byte >= 0x81:
                self.flush_stripes()
                self.buffer.append((bytes([byte]) + self.take(1)).decode("gb18030"))
            elif byte == LF:
                if after_stripe:
                    continue  # the line feed that follows each ESC * stripe belongs to the image
                self.flush_stripes()
                self.commit()
            elif byte == CR:
                continue
            elif byte == HT:
                self.buffer.append("\t")
            elif byte < 0x20:
                raise ValueError(f"unexpected control byte {byte:#04x} at {self.pos - 1}")
            else:
                self.flush_stripes()
                self.buffer.append(self.char(byte))
        self.flush_stripes()
        if self.buffer:
            self.commit()
        self.out.chinese_modes = self.chinese_modes
        return self.out

    def esc(self) -> None:
        cmd = self.take(1)[0]
        if cmd == ord("*"):
            self.column_image()
            return
        self.flush_stripes()
        if cmd == ord("D"):
            while self.take(1)[0] != NUL:
                pass
            return
        if cmd == ord("c"):
            self.take(2)
            return
        if cmd not in _ESC_FIXED:
            raise ValueError(f"unknown command ESC {cmd:#04x} at {self.pos - 2}")
        args = self.take(_ESC_FIXED[cmd])
        if cmd == ord("@"):
            self.bold = self.dw = self.dh = False
            self.align = "left"
            self.code_page = 0
            self.qr_settings = _QR_DEFAULTS
            self.stored_qr = None
        elif cmd == ord("!"):
            self.bold = bool(args[0] & 0x08)
            self.dh = bool(args[0] & 0x10)
            self.dw = bool(args[0] & 0x20)
        elif cmd == ord("E"):
            self.bold = bool(args[0] & 1)
        elif cmd == ord("a"):
            self.align = _ALIGN[args[0]]
        elif cmd == ord("t"):
            self.code_page = args[0]
            self.out.code_pages.append(args[0])
        elif cmd == ord("d"):
            lines = args[0]
            if self.buffer:
                self.commit()
                lines -= 1
            for _ in range(max(0, lines)):
                self.commit()
        elif cmd == ord("p"):
            self.out.drawer_kicks += 1
            self.out.events.append(("drawer", None))

    def column_image(self) -> None:
        mode = self.take(1)[0]
        columns = int.from_bytes(self.take(2), "little")
        dots = 24 if mode in (32, 33) else 8
        self.stripes.append(_columns_to_image(columns, dots, self.take(columns * dots // 8)))
        self.after_stripe = True

    def gs(self) -> None:
        cmd = self.take(1)[0]
        if cmd in _GS_FIXED:
            args = self.take(_GS_FIXED[cmd])
            if cmd == ord("!"):
                self.dw = (args[0] >> 4) > 0
                self.dh = (args[0] & 0x0F) > 0
            return
        if cmd == ord("V"):
            mode = self.take(1)[0]
            if mode in (65, 66, 97, 98, 103, 104):
                self.take(1)
            if self.buffer:
                self.commit()
            self.out.cuts += 1
            self.out.events.append(("cut", None))
            return
        if cmd == ord("v"):
            if self.take(1) != b"0":
                raise ValueError("GS v must be followed by '0'")
            self.take(1)  # density
            width_bytes = int.from_bytes(self.take(2), "little")
            height = int.from_bytes(self.take(2), "little")
            self.add_image(_raster_to_image(width_bytes, height, self.take(width_bytes * height)))
            return
        if cmd == ord("("):
            kind = self.take(1)
            length = int.from_bytes(self.take(2), "little")
            payload = self.take(length)
            if kind == b"L":
                self.graphics(payload)
            elif kind == b"k":
                self.qr(payload)
            else:
                raise ValueError(f"unknown command GS ( {kind!r}")
            return
        raise ValueError(f"unknown command GS {cmd:#04x} at {self.pos - 2}")

    def graphics(self, payload: bytes) -> None:
        fn = payload[1]
        if fn == 112:  # store raster graphics: m fn a bx by c xL xH yL yH data
            width = int.from_bytes(payload[6:8], "little")
            height = int.from_bytes(payload[8:10], "little")
            width_bytes = (width + 7) // 8
            self.stored_image = _raster_to_image(width_bytes, height, payload[10 : 10 + width_bytes * height])
        elif fn == 50 and self.stored_image is not None:  # print stored graphics
            self.add_image(self.stored_image)
            self.stored_image = None

    def qr(self, payload: bytes) -> None:
        """GS ( k for a QR code (cn 49): settings, store, print; anything malformed raises ValueError."""
        if len(payload) < 3:
            raise ValueError(f"GS ( k too short: {payload!r}")
        cn, fn, body = payload[0], payload[1], payload[2:]
        if cn != 49:
            raise ValueError(f"unknown 2D code type {cn}")
        model, size, ec = self.qr_settings
        if fn == 65:  # select model: n1 n2
            if len(body) != 2 or body[0] not in _QR_MODELS or body[1] != 0:
                raise ValueError(f"bad QR model command {body!r}")
            self.qr_settings = (_QR_MODELS[body[0]], size, ec)
        elif fn == 67:  # module size: n, 1-16 dots
            if len(body) != 1 or not 1 <= body[0] <= 16:
                raise ValueError(f"bad QR module size {body!r}")
            self.qr_settings = (model, body[0], ec)
        elif fn == 69:  # error correction: n
            if len(body) != 1 or body[0] not in _QR_EC:
                raise ValueError(f"bad QR error correction {body!r}")
            self.qr_settings = (model, size, _QR_EC[body[0]])
        elif fn == 80:  # store data: m (48), then the data
            if body[:1] != b"0" or len(body) < 2:
                raise ValueError(f"bad QR store command {body[:8]!r}")
            self.stored_qr = body[1:].decode("utf-8")
        elif fn == 81:  # print the stored symbol: m (48)
            if body != b"0":
                raise ValueError(f"bad QR print command {body!r}")
            if self.stored_qr is None:
                raise ValueError("QR print with no data stored")
            if self.buffer:
                raise ValueError("QR printed in the middle of a text line")
            code = NativeQR(self.stored_qr, model, size, ec, self.align)
            self.out.native_qrs.append(code)
            self.out.qr_codes.append(code.data)
            self.out.events.append(("qr", len(self.out.native_qrs) - 1))
        else:
            raise ValueError(f"unknown QR function {fn}")


_QRCODE_EC = {"L": qrcode.constants.ERROR_CORRECT_L, "M": qrcode.constants.ERROR_CORRECT_M,
              "Q": qrcode.constants.ERROR_CORRECT_Q, "H": qrcode.constants.ERROR_CORRECT_H}


def qr_symbol(code: NativeQR) -> qrcode.QRCode:
    """The symbol a printer draws for ``code``: model 2, its error correction, the smallest version that fits."""
    if code.model != 2:
        raise ValueError(f"QR model {code.model}: tickets use model 2")
    symbol = qrcode.QRCode(error_correction=_QRCODE_EC[code.ec], box_size=code.size, border=4)
    symbol.add_data(code.data)
    symbol.make(fit=True)
    return symbol


def qr_image(code: NativeQR) -> Image.Image:
    """``code`` drawn as the printer would: ``size`` dots a module, with the 4-module quiet zone."""
    return qr_symbol(code).make_image().get_image().convert("L")


def scan_image(image: Image.Image) -> list[str]:
    """Every QR code text zxing-cpp finds in an image."""
    return [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]


def scan_all(decoded: Decoded, events: list[tuple[str, Any]] | None = None) -> list[str]:
    """Every QR code on the paper, in print order: scanned from printed images and from native codes drawn."""
    found: list[str] = []
    for kind, value in decoded.events if events is None else events:
        if kind == "image":
            found += scan_image(decoded.images[value])
        elif kind == "qr":
            found += scan_image(qr_image(decoded.native_qrs[value]))
    return found


def decode(data: bytes, profile: str | None = "TM-T88V") -> Decoded:
    """Decode ``data`` as printed by a printer of ``profile`` (for its code pages; None means CP437 only)."""
    tables = code_page_tables(profile) if profile else {}
    return _Reader(data, tables).run()


BASE45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def sample_token(seed: int, length: int = 140) -> str:
    """A token-like QR payload: base45 characters (the QR alphanumeric set), deterministic per seed."""
    rng = random.Random(seed)
    return "BX1:" + "".join(rng.choice(BASE45) for _ in range(length - 4))


class FakeNetworkPrinter:
    """A stand-in for a network receipt printer: accepts raw TCP connections and records each job's bytes."""

    def __init__(self) -> None:
        self.jobs: list[bytes] = []
        self._arrived = threading.Condition()
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                chunks = []
                while chunk := self.request.recv(65536):
                    chunks.append(chunk)
                with outer._arrived:
                    outer.jobs.append(b"".join(chunks))
                    outer._arrived.notify_all()

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def uri(self) -> str:
        host, port = self.server.server_address[:2]
        return f"tcp://{host}:{port}"

    def wait_for_jobs(self, count: int = 1, timeout: float = 5.0) -> list[bytes]:
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.jobs) >= count, timeout):
                raise TimeoutError(f"expected {count} jobs, got {len(self.jobs)}")
            return list(self.jobs)

    def __enter__(self) -> FakeNetworkPrinter:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
