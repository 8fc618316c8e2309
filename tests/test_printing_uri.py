"""Printer URIs: the right forms parse, the wrong ones are refused with an example of the right one."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boxoffice.errors import BoxOfficeError
from boxoffice.printing.uri import PrinterURI, parse_printer_uri


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("usb://04b8:0202", PrinterURI("usb", vendor_id=0x04B8, product_id=0x0202)),
        ("usb://04B8:0E15?out_ep=0x02", PrinterURI("usb", vendor_id=0x04B8, product_id=0x0E15, options={"out_ep": 2})),
        ("tcp://192.168.1.50:9100", PrinterURI("tcp", host="192.168.1.50", port=9100)),
        ("tcp://printer.local", PrinterURI("tcp", host="printer.local", port=9100)),
        ("tcp://[fe80::1]:9101", PrinterURI("tcp", host="fe80::1", port=9101)),
        ("serial:///dev/ttyUSB0?baudrate=9600", PrinterURI("serial", path="/dev/ttyUSB0", options={"baudrate": 9600})),
        ("serial:///dev/ttyS1", PrinterURI("serial", path="/dev/ttyS1")),
        ("serial://COM3", PrinterURI("serial", path="COM3")),
        ("file:///dev/usb/lp0", PrinterURI("file", path="/dev/usb/lp0")),
        ("file:///tmp/my%20printer.bin", PrinterURI("file", path="/tmp/my printer.bin")),
        ("cups://Receipt_Counter-2", PrinterURI("cups", name="Receipt_Counter-2")),
        ("pdf:///srv/tickets", PrinterURI("pdf", path="/srv/tickets")),
        ("  TCP://10.0.0.7:9100  ", PrinterURI("tcp", host="10.0.0.7", port=9100)),
    ],
)
def test_good_uris_parse(text: str, expected: PrinterURI) -> None:
    parsed = parse_printer_uri(text)
    assert parsed == expected
    assert parse_printer_uri(str(parsed)) == parsed


@pytest.mark.parametrize(
    ("text", "example"),
    [
        ("", "tcp://192.168.1.50:9100"),
        ("192.168.1.50:9100", "tcp://192.168.1.50:9100"),
        ("http://printer", "usb://04b8:0202"),
        ("tcp://", "tcp://192.168.1.50:9100"),
        ("tcp://host:0", "tcp://192.168.1.50:9100"),
        ("tcp://host:99999", "tcp://192.168.1.50:9100"),
        ("tcp://host:port", "tcp://192.168.1.50:9100"),
        ("tcp://host:9100/queue", "tcp://192.168.1.50:9100"),
        ("usb://04b8", "usb://04b8:0202"),
        ("usb://04b8:xyz", "usb://04b8:0202"),
        ("usb://12345:0202", "usb://04b8:0202"),
        ("usb://04b8:0202?endpoint=1", "usb://04b8:0202"),
        ("serial:///dev/ttyUSB0?baudrate=fast", "serial:///dev/ttyUSB0?baudrate=9600"),
        ("serial:///dev/ttyUSB0?baudrate=9601", "serial:///dev/ttyUSB0?baudrate=9600"),
        ("serial://dev/ttyUSB0", "serial:///dev/ttyUSB0?baudrate=9600"),
        ("file://relative/path", "file:///dev/usb/lp0"),
        ("file:///", "file:///dev/usb/lp0"),
        ("cups://", "cups://Receipt"),
        ("cups://Front Desk", "cups://Receipt"),
        ("pdf://tickets", "pdf:///srv/tickets"),
    ],
)
def test_bad_uris_are_refused_with_an_example(text: str, example: str) -> None:
    with pytest.raises(BoxOfficeError) as caught:
        parse_printer_uri(text)
    error = caught.value
    assert error.code == "bad_input"
    assert example in error.message
    assert "\n" not in error.message


@given(
    host=st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z][a-z0-9-]{0,10}){0,3}", fullmatch=True),
    port=st.integers(1, 65535),
)
def test_tcp_round_trips(host: str, port: int) -> None:
    parsed = parse_printer_uri(f"tcp://{host}:{port}")
    assert (parsed.host, parsed.port) == (host, port)
    assert str(parsed) == f"tcp://{host}:{port}"


@given(vendor=st.integers(1, 0xFFFF), product=st.integers(1, 0xFFFF))
def test_usb_round_trips(vendor: int, product: int) -> None:
    parsed = parse_printer_uri(f"usb://{vendor:x}:{product:X}")
    assert (parsed.vendor_id, parsed.product_id) == (vendor, product)
    assert str(parsed) == f"usb://{vendor:04x}:{product:04x}"


@given(st.text(min_size=1, max_size=60).filter(lambda s: "\x00" not in s))
def test_file_paths_round_trip(name: str) -> None:
    parsed = parse_printer_uri(str(PrinterURI("file", path="/tmp/" + name)))
    assert parsed.path == "/tmp/" + name
