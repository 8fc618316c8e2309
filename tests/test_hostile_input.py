"""Hostile input refused in one line: image bombs, numbers past any use, a printer path aimed at someone's file,
and operator names that pass for another's."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Any

import pytest

from boxoffice.domain.numbers import parse_whole
from boxoffice.errors import BoxOfficeError
from boxoffice.printing.transport import SPOOL_HEADER, send
from boxoffice.printing.uri import parse_printer_uri
from boxoffice.services.context import Ctx
from boxoffice.services.counter import Counter
from boxoffice.services.operators import add_operator
from boxoffice.services.tickets import MAX_IMAGE_BYTES, decode_image

HUGE = "9" * 5000  # past Python's 4,300-digit limit for int()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _bomb(path: Path, side: int = 10_000) -> Path:
    """A PNG of a few dozen bytes that says it is side x side pixels: a hundred million, decoded."""
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(b"\0" * 64))
                     + _chunk(b"IEND", b""))
    return path


# --- (a) images ---------------------------------------------------------------------------------------------


def test_an_image_bomb_is_refused_before_decoding(cli: Any, terminal: Ctx, login: Any, tmp_path: Path,
                                                  demo_events: tuple[str, str]) -> None:
    bomb = _bomb(tmp_path / "ticket.png")
    verified = cli("ticket", "verify", "--image", bomb, db=terminal)
    assert verified.exit_code == 2 and "million pixels" in verified.stderr
    assert len(verified.stderr.strip().splitlines()) == 1
    login(terminal, "dan")
    scanned = cli("scan", "check", "--event", demo_events[0], "--image", bomb, db=terminal)
    assert scanned.exit_code == 2 and "million pixels" in scanned.stderr


def test_the_service_refuses_an_image_too_big_in_pixels_or_bytes(tmp_path: Path) -> None:
    with pytest.raises(BoxOfficeError) as pixels:
        decode_image(str(_bomb(tmp_path / "bomb.png")))
    assert pixels.value.code == "bad_input" and "million pixels" in pixels.value.message
    with pytest.raises(BoxOfficeError) as billions:
        decode_image(str(_bomb(tmp_path / "bigger.png", side=100_000)))
    assert "million pixels" in billions.value.message
    big = tmp_path / "big.png"
    with big.open("wb") as fh:  # sparse: no disk is used
        fh.truncate(MAX_IMAGE_BYTES + 1)
    with pytest.raises(BoxOfficeError) as size:
        decode_image(str(big))
    assert size.value.code == "bad_input" and "MB" in size.value.message


# --- (b) numbers ----------------------------------------------------------------------------------------------


def test_a_number_past_the_digit_limit_is_refused_at_the_counter(cli: Any, terminal: Ctx) -> None:
    out = cli("counter", db=terminal, input=f"p {HUGE}\n{HUGE}\nq\n")
    assert out.exit_code == 0, out.output
    assert "too long" in out.stdout
    sold = cli("sell", "gala-1208", "-s", "standing", "-t", f"adult={HUGE}", "--card", "4242", db=terminal)
    assert sold.exit_code == 2 and "whole number" in sold.stderr
    listed = cli("audit", "log", "--limit", HUGE, db=terminal)
    assert listed.exit_code == 2 and "Invalid value for '--limit'" in listed.stderr


def test_the_shared_parser_refuses_long_and_foreign_digits(terminal: Ctx) -> None:
    counter = Counter(terminal, "gala-1208")
    reply = counter.handle(f"p {HUGE}")
    assert [line.style for line in reply.lines] == ["refused"] and "too long" in reply.lines[0].text
    for bad in (HUGE, "²", "1_000", "", "-3"):
        with pytest.raises(BoxOfficeError):
            parse_whole(bad, "the count")
    assert parse_whole(" 42 ", "the count") == 42


# --- (c) the file printer -------------------------------------------------------------------------------------


def test_a_file_printer_aimed_at_an_existing_file_is_refused(cli: Any, terminal: Ctx, login: Any,
                                                             tmp_path: Path) -> None:
    victim = tmp_path / "notes.txt"
    victim.write_text("my notes\n", encoding="utf-8")
    login(terminal, "sam")
    sold = cli("sell", "gala-1208", "-s", "standing", "-t", "adult=1", "--card", "4242", db=terminal,
               env={"BOXOFFICE_PRINTER": f"file://{victim}"})
    assert sold.exit_code == 7  # the sale is kept; the job waits
    assert "not a printer device or a spool file" in sold.output
    assert victim.read_text(encoding="utf-8") == "my notes\n"


def test_the_file_printer_appends_only_to_its_own_spool(tmp_path: Path) -> None:
    spool = tmp_path / "printer.bin"
    send(parse_printer_uri(f"file://{spool}"), b"one")
    send(parse_printer_uri(f"file://{spool}"), b"two")
    assert spool.read_bytes() == SPOOL_HEADER + b"onetwo"
    link = tmp_path / "link.bin"
    link.symlink_to(tmp_path / "victim")
    (tmp_path / "victim").write_bytes(b"keep")
    with pytest.raises(BoxOfficeError) as refused:
        send(parse_printer_uri(f"file://{link}"), b"job")
    assert refused.value.code == "bad_config" and "does not exist yet" in refused.value.message
    assert (tmp_path / "victim").read_bytes() == b"keep"


# --- (d) operator names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, says", [("s\u0430m", "Cyrillic, Latin"), ("s\u200bam", "U+200B"),
                                         ("sa\u202em", "U+202E"), ("sam\u3164", "invisible")])
def test_a_look_alike_operator_name_is_refused(cli: Any, terminal: Ctx, name: str, says: str) -> None:
    out = cli("operator", "add", name, "--role", "seller", db=terminal, pin="5678")
    assert out.exit_code == 2 and says in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert cli("operator", "list", "--json", db=terminal).json().__len__() == 5


def test_the_service_folds_twins_and_refuses_a_mix(terminal: Ctx) -> None:
    assert add_operator(terminal, "\uff2b\uff49\uff4d", "seller", "5678")["name"] == "Kim"  # full-width letters
    with pytest.raises(BoxOfficeError) as twin:
        add_operator(terminal, "Kim", "seller", "5678")  # the same name once folded
    assert twin.value.code == "already_exists"
    with pytest.raises(BoxOfficeError) as mixed:
        add_operator(terminal, "\u0410da", "seller", "5678")
    assert mixed.value.code == "bad_input"
    assert add_operator(terminal, "王小明", "seller", "5678")["name"] == "王小明"


def test_a_number_past_the_digit_limit_in_a_file_is_refused(cli: Any, terminal: Ctx, tmp_path: Path) -> None:
    doc = tmp_path / "venue.json"
    doc.write_text('{"format": "boxoffice.catalog/1", "venue": {}, "events": [], "n": ' + HUGE + "}", encoding="utf-8")
    out = cli("catalog", "import", doc, db=terminal)
    assert out.exit_code == 2 and "5000 digits" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
