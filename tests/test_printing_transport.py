"""Delivering bytes to printers: every failure is a quick ``printer_offline`` with a message saying what next."""

from __future__ import annotations

import os
import socket
import stat
import threading
import time
from pathlib import Path

import pytest
from escpos_decode import FakeNetworkPrinter

from boxoffice.errors import BoxOfficeError
from boxoffice.printing.transport import SPOOL_HEADER, send, write_pdf
from boxoffice.printing.uri import parse_printer_uri

JOB = b"\x1b@hello printer\n\x1dV\x00"


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_tcp_delivers_every_byte() -> None:
    with FakeNetworkPrinter() as printer:
        send(parse_printer_uri(printer.uri), JOB)
        send(parse_printer_uri(printer.uri), JOB * 2)
        assert printer.wait_for_jobs(2) == [JOB, JOB * 2]


def test_tcp_closed_port_is_printer_offline_quickly() -> None:
    port = closed_port()
    started = time.monotonic()
    with pytest.raises(BoxOfficeError) as caught:
        send(parse_printer_uri(f"tcp://127.0.0.1:{port}"), JOB, timeout=20.0)
    assert time.monotonic() - started < 10.0, "refused at once, not after the 20 s timeout"
    error = caught.value
    assert error.code == "printer_offline"
    assert error.exit_status == 7
    assert error.message == (
        f"printer at tcp://127.0.0.1:{port} did not answer: "
        "check it is on and has paper, then run `boxoffice print retry`"
    )
    assert "Refused" in error.details["reason"]


def test_tcp_printer_that_stops_reading_times_out() -> None:
    """A printer out of paper accepts the connection but stops reading: the send must give up, not hang."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        accepted: list[socket.socket] = []
        thread = threading.Thread(target=lambda: accepted.append(server.accept()[0]), daemon=True)
        thread.start()
        started = time.monotonic()
        with pytest.raises(BoxOfficeError) as caught:
            send(parse_printer_uri(f"tcp://127.0.0.1:{port}"), b"\0" * (64 * 1024 * 1024), timeout=0.5)
        assert time.monotonic() - started < 5
        assert caught.value.code == "printer_offline"
        for conn in accepted:
            conn.close()


def test_file_appends_the_bytes(tmp_path: Path) -> None:
    target = tmp_path / "printer.bin"
    uri = parse_printer_uri(f"file://{target}")
    send(uri, JOB)
    send(uri, b"second")
    assert target.read_bytes() == SPOOL_HEADER + JOB + b"second"  # a spool file it made: marked as its own


def test_file_directory_gets_one_new_file_per_job(tmp_path: Path) -> None:
    uri = parse_printer_uri(f"file://{tmp_path}")
    send(uri, JOB)
    send(uri, b"second")
    contents = sorted(path.read_bytes() for path in tmp_path.iterdir())
    assert contents == sorted([JOB, b"second"])


def test_file_in_a_missing_directory_is_printer_offline(tmp_path: Path) -> None:
    with pytest.raises(BoxOfficeError) as caught:
        send(parse_printer_uri(f"file://{tmp_path}/unplugged/lp0"), JOB)
    assert caught.value.code == "printer_offline"
    assert "boxoffice print retry" in caught.value.message


def _stub_lp(directory: Path, body: str) -> None:
    lp = directory / "lp"
    lp.write_text("#!/bin/sh\n" + body)
    lp.chmod(lp.stat().st_mode | stat.S_IEXEC)


def test_cups_pipes_raw_bytes_to_lp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _stub_lp(tmp_path, f'echo "$@" > {tmp_path}/args\ncat > {tmp_path}/data\n')
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    send(parse_printer_uri("cups://Receipt"), JOB)
    assert (tmp_path / "args").read_text().split() == ["-d", "Receipt", "-o", "raw"]
    assert (tmp_path / "data").read_bytes() == JOB


def test_cups_failure_is_printer_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _stub_lp(tmp_path, 'echo "lp: The printer or class does not exist." >&2\nexit 1\n')
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(BoxOfficeError) as caught:
        send(parse_printer_uri("cups://Nope"), JOB)
    assert caught.value.code == "printer_offline"
    assert "does not exist" in caught.value.details["reason"]


def test_cups_without_lp_is_printer_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BoxOfficeError) as caught:
        send(parse_printer_uri("cups://Receipt"), JOB)
    assert caught.value.code == "printer_offline"
    assert "lp" in caught.value.message


def test_usb_printer_not_there_is_printer_offline() -> None:
    with pytest.raises(BoxOfficeError) as caught:
        send(parse_printer_uri("usb://04b8:0e15"), JOB, timeout=1.0)
    assert caught.value.code == "printer_offline"
    assert "usb://04b8:0e15" in caught.value.message


def test_serial_port_not_there_is_printer_offline(tmp_path: Path) -> None:
    with pytest.raises(BoxOfficeError) as caught:
        send(parse_printer_uri(f"serial://{tmp_path}/ttyUSB9?baudrate=19200"), JOB, timeout=1.0)
    assert caught.value.code == "printer_offline"


def test_pdf_uri_takes_pdfs_not_printer_bytes(tmp_path: Path) -> None:
    with pytest.raises(BoxOfficeError) as caught:
        send(parse_printer_uri(f"pdf://{tmp_path}"), JOB)
    assert caught.value.code == "bad_input"


def test_write_pdf_names_the_file_and_replaces_it_on_retry(tmp_path: Path) -> None:
    uri = parse_printer_uri(f"pdf://{tmp_path}/out")
    first = write_pdf(uri, "order K7M4/PQ9X", b"%PDF-1 first")
    assert first.parent == tmp_path / "out"
    assert first.name == "order-K7M4-PQ9X.pdf"
    again = write_pdf(uri, "order K7M4/PQ9X", b"%PDF-1 second")
    assert again == first
    assert first.read_bytes() == b"%PDF-1 second"
    assert [p.name for p in (tmp_path / "out").iterdir()] == [first.name]
    assert write_pdf(uri, "../../etc/passwd", b"%PDF").parent == tmp_path / "out"


def test_write_pdf_unwritable_directory_is_printer_offline(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(BoxOfficeError) as caught:
        write_pdf(parse_printer_uri(f"pdf://{blocker}/sub"), "job", b"%PDF")
    assert caught.value.code == "printer_offline"


def test_write_pdf_refuses_other_schemes(tmp_path: Path) -> None:
    with pytest.raises(BoxOfficeError) as caught:
        write_pdf(parse_printer_uri(f"file://{tmp_path}"), "job", b"%PDF")
    assert caught.value.code == "bad_input"
