"""Deliver rendered bytes to a printer named by a PrinterURI.

Every way of failing to reach a printer becomes one ``printer_offline`` error with a message that says what
to do next; the print-job queue keeps the job and ``boxoffice print retry`` sends the same bytes again. The
sale was committed before any of this runs (DESIGN.md, "Printing never loses a sale").

A printer connection opens on the first write, so an unreachable printer fails here, at send time, never when
its URI is parsed.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import socket
import stat  # loaded with os already: no cost at start
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from boxoffice.errors import BoxOfficeError
from boxoffice.filemodes import FILE_MODE, private_dir
from boxoffice.printing.uri import PrinterURI

RETRY_HINT = "check it is on and has paper, then run `boxoffice print retry`"
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def offline(uri: PrinterURI, reason: str, hint: str = RETRY_HINT) -> BoxOfficeError:
    """The error for a printer that cannot be reached; ``reason`` goes to the details for the log."""
    message = f"printer at {uri} did not answer: {hint}"
    return BoxOfficeError("printer_offline", message, uri=str(uri), reason=reason)


def send(uri: PrinterURI, data: bytes, timeout: float = 5.0) -> None:
    """Send ``data`` (ESC/POS bytes) to the printer at ``uri``; raise ``printer_offline`` when it fails.

    ``timeout`` bounds connecting and each write, so a printer that is off never hangs the counter.
    """
    if uri.scheme == "tcp":
        _send_tcp(uri, data, timeout)
    elif uri.scheme == "file":
        write_file(uri, data)
    elif uri.scheme == "usb":
        _send_usb(uri, data, timeout)
    elif uri.scheme == "serial":
        _send_serial(uri, data, timeout)
    elif uri.scheme == "cups":
        _send_cups(uri, data, timeout)
    elif uri.scheme == "pdf":
        raise BoxOfficeError("bad_input", f"{uri} takes PDF files, not printer bytes: render a PDF instead")
    else:  # pragma: no cover - parse_printer_uri admits no other scheme
        raise BoxOfficeError("bad_input", f"no way to send to {uri}")


def _send_tcp(uri: PrinterURI, data: bytes, timeout: float) -> None:
    """Raw TCP (port 9100): connect, write everything, then close our side so the printer sees the job end."""
    assert uri.host is not None and uri.port is not None
    try:
        with socket.create_connection((uri.host, uri.port), timeout=timeout) as sock:
            sock.sendall(data)
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_WR)
    except (OSError, TimeoutError) as exc:
        raise offline(uri, f"{type(exc).__name__}: {exc}") from None


# The first line of a spool file this program made. Only a device, a new file, or a file that starts with this is
# written to: a printer path pointed at someone's document (or a symlink to it) must not have print jobs appended.
SPOOL_HEADER = b"BOXOFFICE ESC/POS SPOOL 1\n"


def write_file(uri: PrinterURI, data: bytes) -> Path:
    """Append ``data`` to the device or spool file named, or write a new file when the path is a directory.

    A device node (/dev/usb/lp0, a pipe) is written as it is. A file path is a spool file: made new with
    ``SPOOL_HEADER`` as its first line, then appended to, so it keeps every job like a log; an existing file that
    does not start with that header is refused. A directory gets one file per job, named by time so they sort in
    print order.
    """
    assert uri.path is not None
    target = Path(uri.path)
    try:
        try:
            mode = os.stat(target).st_mode
        except FileNotFoundError:  # a new spool file, the owner's alone: never through a symlink or over a file
            try:
                with os.fdopen(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE), "wb") as fh:
                    fh.write(SPOOL_HEADER + data)
                return target
            except FileExistsError:  # made meanwhile: checked below like any existing file
                mode = os.stat(target).st_mode
        if stat.S_ISDIR(mode):
            stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
            target = target / f"escpos-{stamp}-{secrets.token_hex(4)}.bin"
            with os.fdopen(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE), "wb") as fh:
                fh.write(data)  # a receipt names its customer: the owner's alone (boxoffice/filemodes.py)
            return target
        if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
            with open(target, "ab") as fh:  # a device node keeps its mode
                fh.write(data)
            return target
        # One opening to check the header and append (what is checked is what is written to); a file we may
        # not write is opened to read, only to say whether it is ours.
        denied: PermissionError | None = None
        try:
            fd = os.open(target, os.O_RDWR | os.O_APPEND)
        except PermissionError as exc:
            denied, fd = exc, os.open(target, os.O_RDONLY)
        with open(fd, "r+b" if denied is None else "rb") as fh:  # os.fdopen's open, without its import statement
            if not stat.S_ISREG(os.fstat(fd).st_mode) or os.pread(fd, len(SPOOL_HEADER), 0) != SPOOL_HEADER:
                raise BoxOfficeError("bad_config", f"printer {uri} names an existing file that is not a printer "
                                                   "device or a spool file boxoffice made: point it at a device, a "
                                                   "directory, or a file name that does not exist yet")
            if denied is not None:
                raise denied
            fh.write(data)
    except OSError as exc:
        raise offline(uri, f"{type(exc).__name__}: {exc}") from None
    return target


def _raw_send(uri: PrinterURI, printer: Any, data: bytes, write_timeout: float | None = None) -> None:
    """Open an escpos printer object, write, close; every failure becomes ``printer_offline``."""
    try:
        printer.open()
        if write_timeout is not None:
            # pyserial's write timeout defaults to None (block forever): a printer that is off and holds
            # DSR low would hang the counter.
            printer.device.write_timeout = write_timeout
        printer._raw(data)
    except Exception as exc:  # escpos and its back-ends raise many unrelated types; all mean "not reached"
        raise offline(uri, f"{type(exc).__name__}: {exc}") from None
    finally:
        with contextlib.suppress(Exception):
            printer.close()


def _send_usb(uri: PrinterURI, data: bytes, timeout: float) -> None:
    from boxoffice.printing.escpos_render import load_escpos

    printer_module = load_escpos()
    if not printer_module.Usb.is_usable():
        hint = "USB printing needs pyusb: `pip install pyusb`, then retry"
        raise offline(uri, "pyusb is not installed", hint)
    options = {key: value for key, value in uri.options.items() if key in ("in_ep", "out_ep")}
    # escpos' default USB timeout is 0, which pyusb takes as "wait forever"; its unit is milliseconds.
    printer = printer_module.Usb(uri.vendor_id, uri.product_id, timeout=int(timeout * 1000), **options)
    _raw_send(uri, printer, data)


def _send_serial(uri: PrinterURI, data: bytes, timeout: float) -> None:
    from boxoffice.printing.escpos_render import load_escpos

    printer_module = load_escpos()
    if not printer_module.Serial.is_usable():
        hint = "serial printing needs pyserial: `pip install pyserial`, then retry"
        raise offline(uri, "pyserial is not installed", hint)
    baudrate = uri.options.get("baudrate", 9600)
    printer = printer_module.Serial(devfile=uri.path, baudrate=baudrate, timeout=timeout)
    _raw_send(uri, printer, data, write_timeout=timeout)


def _send_cups(uri: PrinterURI, data: bytes, timeout: float) -> None:
    """Hand the raw bytes to CUPS with ``lp -o raw``; success means CUPS queued them."""
    lp = shutil.which("lp")
    if lp is None:
        raise offline(uri, "lp not found", "the `lp` command is missing: install the CUPS client, then retry")
    try:
        result = subprocess.run(
            [lp, "-d", uri.name or "", "-o", "raw"],
            input=data,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise offline(uri, f"{type(exc).__name__}: {exc}") from None
    if result.returncode != 0:
        reason = result.stderr.decode("utf-8", "replace").strip() or f"lp exited with {result.returncode}"
        raise offline(uri, reason)


def _safe_pdf_name(name: str) -> str:
    """A file name from a job name: no path separators or odd characters, always ending in .pdf."""
    stem = name[:-4] if name.lower().endswith(".pdf") else name
    stem = _SAFE_NAME.sub("-", stem).strip(".-")
    return f"{stem or 'tickets'}.pdf"


def write_pdf(uri: PrinterURI, name: str, pdf_bytes: bytes) -> Path:
    """Write a PDF into the directory of a ``pdf://`` printer and return its path.

    The same ``name`` gives the same file, so retrying a job replaces its PDF instead of adding a second
    one. The file appears whole or not at all (written aside, then renamed), so a watcher that prints new
    files never picks up half a PDF.
    """
    if uri.scheme != "pdf" or uri.path is None:
        raise BoxOfficeError("bad_input", f"{uri} is not a pdf:// printer")
    directory = Path(uri.path)
    target = directory / _safe_pdf_name(name)
    try:
        private_dir(directory)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(pdf_bytes)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        hint = "check the directory exists and is writable, then run `boxoffice print retry`"
        raise offline(uri, f"{type(exc).__name__}: {exc}", hint) from None
    return target
