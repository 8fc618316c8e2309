"""ASCII text written to an escpos printer without escpos' text writer (printing/escpos_text.write_ascii): the same
bytes and the same code page left selected, and no compilation of the writer's Han pattern for an ASCII job."""

from __future__ import annotations

import re
import uuid

import pytest

from boxoffice.printing.escpos_render import load_escpos, render_escpos
from boxoffice.printing.escpos_text import write_ascii
from boxoffice.printing.layout import QR, Columns, Cut, Rule, Text

HAN_PATTERN = r"[\u4e00-\u9fa5]"  # what escpos' MagicEncode.write looks for in every text it writes
PROFILES = ["TM-T88V", "POS-5890", "simple", "TM-U220", "TSP600"]


def _printer(profile: str):  # noqa: ANN202 - an escpos Dummy
    return load_escpos().Dummy(profile=profile)


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("texts", [["Adult x2        70.00\n"], ["\n"], ["", "Total\n", "\n", "Card **** 4242\n"],
                                   ["\t~ {}|`^_\\ \n", "x" * 300 + "\n"]])
def test_the_same_bytes_and_code_page_as_escpos_text(profile: str, texts: list[str]) -> None:
    by_escpos, by_us = _printer(profile), _printer(profile)
    for text in texts:
        by_escpos.text(text)
        write_ascii(by_us, text)
        assert by_us.output == by_escpos.output
        assert by_us.magic.encoding == by_escpos.magic.encoding


def test_a_forced_code_page_goes_through_escpos() -> None:
    by_escpos, by_us = _printer("TM-T88V"), _printer("TM-T88V")
    for printer in (by_escpos, by_us):
        printer.magic.force_encoding("CP858")
    by_escpos.text("Total 70.00\n")
    write_ascii(by_us, "Total 70.00\n")
    assert by_us.output == by_escpos.output


def test_an_ascii_job_does_not_compile_the_han_pattern() -> None:
    unique = uuid.uuid4().hex  # text no earlier render has cached
    layout = [Text(f"Venue {unique}", bold=True, size=2, align="center"), Rule(), Columns(f"Adult {unique}", "70.00"),
              QR(f"T{unique}"), Text(""), Cut()]
    re.purge()
    render_escpos(layout, "TM-T88V")
    assert not any(HAN_PATTERN in map(str, key) for key in re._cache)  # type: ignore[attr-defined]
