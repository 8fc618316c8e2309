"""Printer URIs: one line of configuration that names a printer and how to reach it.

Supported forms (see DESIGN.md, "Printing never loses a sale")::

    usb://04b8:0202                      vendor and product id, hex; optional ?in_ep=0x82&out_ep=0x01
    tcp://192.168.1.50:9100              a network printer (raw port, 9100 when left out)
    serial:///dev/ttyUSB0?baudrate=9600  a serial port (serial://COM3 on Windows)
    file:///dev/usb/lp0                  a device or file to append to; a directory gets one file per job
    cups://Receipt                       a CUPS queue, fed raw bytes through `lp`
    pdf:///srv/tickets                   a directory that receives one PDF per job

A malformed URI is refused at configuration time with ``bad_input`` and an example of the right form, so a
typo shows up when the printer is set up, not at the first sale.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import SplitResult, parse_qsl, quote, unquote, urlsplit

from boxoffice.errors import BoxOfficeError

DEFAULT_TCP_PORT = 9100

EXAMPLES: dict[str, str] = {
    "usb": "usb://04b8:0202",
    "tcp": "tcp://192.168.1.50:9100",
    "serial": "serial:///dev/ttyUSB0?baudrate=9600",
    "file": "file:///dev/usb/lp0",
    "cups": "cups://Receipt",
    "pdf": "pdf:///srv/tickets",
}

# Baud rates a serial receipt printer can be set to; anything else is a typo.
_BAUDRATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)
_HEX_ID = re.compile(r"^(?:0x)?([0-9a-fA-F]{1,4})$")
# CUPS forbids spaces, '/', '#' and control characters in queue names.
_CUPS_NAME = re.compile(r"^[^\s/#\\\x00-\x1f\x7f]{1,127}$")


@dataclass(frozen=True)
class PrinterURI:
    """A parsed printer URI. Only the fields of its scheme are set; ``str()`` gives the canonical text."""

    scheme: str
    host: str | None = None
    port: int | None = None
    vendor_id: int | None = None
    product_id: int | None = None
    path: str | None = None
    name: str | None = None
    options: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        if self.scheme == "tcp":
            host = f"[{self.host}]" if self.host and ":" in self.host else self.host
            return f"tcp://{host}:{self.port}"
        if self.scheme == "usb":
            text = f"usb://{self.vendor_id:04x}:{self.product_id:04x}"
        elif self.scheme == "cups":
            return f"cups://{self.name}"
        else:
            # Paths are absolute ("/dev/x" gives "file:///dev/x"); a Windows "COM3" stays a host.
            text = f"{self.scheme}://{quote(self.path or '', safe='/:')}"
        if self.options:
            pairs = (f"{k}={v:#04x}" if k.endswith("_ep") else f"{k}={v}" for k, v in self.options.items())
            text += "?" + "&".join(pairs)
        return text


def _refuse(text: str, scheme: str | None, reason: str) -> BoxOfficeError:
    """The one error every malformed URI gives: what is wrong and what a right one looks like."""
    example = "e.g. " + (EXAMPLES[scheme] if scheme in EXAMPLES else ", ".join(EXAMPLES.values()))
    return BoxOfficeError("bad_input", f"printer URI {text!r}: {reason}; {example}", uri=text)


def _options(text: str, scheme: str, query: str, allowed: tuple[str, ...]) -> dict[str, int]:
    """Parse ``?key=value`` integer options; unknown keys are refused so a misspelt one is not ignored."""
    options: dict[str, int] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key not in allowed:
            known = ", ".join(allowed) or "none"
            raise _refuse(text, scheme, f"unknown option {key!r} (known: {known})")
        try:
            options[key] = int(value, 0)
        except ValueError:
            raise _refuse(text, scheme, f"option {key}={value!r} is not a number") from None
    return options


def parse_printer_uri(text: str) -> PrinterURI:
    """Parse ``text`` into a PrinterURI, or raise BoxOfficeError ``bad_input`` with a one-line example."""
    raw = text.strip()
    if "://" not in raw:
        raise _refuse(text, None, "expected scheme://...")
    scheme = raw.split("://", 1)[0].lower()
    if scheme not in EXAMPLES:
        raise _refuse(text, None, f"unknown scheme {scheme!r}")
    try:
        parts = urlsplit(raw)
    except ValueError as exc:
        raise _refuse(text, scheme, str(exc)) from None
    if parts.fragment:
        raise _refuse(text, scheme, "a '#' has no meaning here")
    parser = _PARSERS[scheme]
    return parser(text, parts)


def _parse_tcp(text: str, parts: SplitResult) -> PrinterURI:
    if parts.path not in ("", "/") or parts.query:
        raise _refuse(text, "tcp", "expected only a host and a port")
    if parts.username or parts.password:
        raise _refuse(text, "tcp", "a raw printer port takes no user name")
    host = parts.hostname
    if not host:
        raise _refuse(text, "tcp", "no host")
    try:
        port = parts.port
    except ValueError:
        raise _refuse(text, "tcp", "the port must be a number from 1 to 65535") from None
    if port is None:
        if parts.netloc.endswith(":"):
            raise _refuse(text, "tcp", "empty port")
        port = DEFAULT_TCP_PORT
    if not 1 <= port <= 65535:
        raise _refuse(text, "tcp", "the port must be a number from 1 to 65535")
    return PrinterURI("tcp", host=host, port=port)


def _parse_usb(text: str, parts: SplitResult) -> PrinterURI:
    ids = parts.netloc.split(":")
    if len(ids) != 2 or parts.path not in ("", "/"):
        raise _refuse(text, "usb", "expected VID:PID in hex")
    matches = [_HEX_ID.match(i) for i in ids]
    if not all(matches):
        raise _refuse(text, "usb", "vendor and product id must be 1 to 4 hex digits")
    vendor, product = (int(m.group(1), 16) for m in matches if m)
    if vendor == 0 or product == 0:
        raise _refuse(text, "usb", "vendor and product id must not be 0")
    options = _options(text, "usb", parts.query, ("in_ep", "out_ep"))
    for key, value in options.items():
        if not 0 <= value <= 0xFF:
            raise _refuse(text, "usb", f"{key} must be an endpoint address from 0x00 to 0xff")
    return PrinterURI("usb", vendor_id=vendor, product_id=product, options=options)


def _path_of(text: str, scheme: str, parts: SplitResult) -> str:
    """The absolute path of a file-like URI; ``file://localhost/x`` is ``/x``, a relative path is refused."""
    if parts.netloc not in ("", "localhost"):
        raise _refuse(text, scheme, f"expected an absolute path after {scheme}:/// (three slashes)")
    path = unquote(parts.path)
    if not path.startswith("/") or path == "/":
        raise _refuse(text, scheme, "expected an absolute path")
    if "\x00" in path:
        raise _refuse(text, scheme, "the path contains a NUL character")
    return path


def _parse_file(text: str, parts: SplitResult) -> PrinterURI:
    if parts.query:
        raise _refuse(text, "file", "file URIs take no options")
    return PrinterURI("file", path=_path_of(text, "file", parts))


def _parse_pdf(text: str, parts: SplitResult) -> PrinterURI:
    if parts.query:
        raise _refuse(text, "pdf", "pdf URIs take no options")
    return PrinterURI("pdf", path=_path_of(text, "pdf", parts))


def _parse_serial(text: str, parts: SplitResult) -> PrinterURI:
    if parts.netloc and re.fullmatch(r"(?i)COM[0-9]{1,3}", parts.netloc) and parts.path in ("", "/"):
        path = parts.netloc.upper()
    else:
        path = _path_of(text, "serial", parts)
    options = _options(text, "serial", parts.query, ("baudrate",))
    baud = options.get("baudrate")
    if baud is not None and baud not in _BAUDRATES:
        raise _refuse(text, "serial", f"baudrate must be one of {', '.join(map(str, _BAUDRATES))}")
    return PrinterURI("serial", path=path, options=options)


def _parse_cups(text: str, parts: SplitResult) -> PrinterURI:
    name = unquote(parts.netloc)
    if parts.path not in ("", "/") or parts.query:
        raise _refuse(text, "cups", "expected only a queue name")
    if not _CUPS_NAME.match(name):
        raise _refuse(text, "cups", "expected a CUPS queue name (no spaces, '/' or '#')")
    return PrinterURI("cups", name=name)


_PARSERS = {
    "tcp": _parse_tcp,
    "usb": _parse_usb,
    "file": _parse_file,
    "pdf": _parse_pdf,
    "serial": _parse_serial,
    "cups": _parse_cups,
}
