"""config_toml.simple_toml: a config file of the usual kind is read without tomllib, to the same values; anything
else is left to tomllib (None), so what is accepted and every message about a broken file stay tomllib's."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boxoffice.config import load
from boxoffice.config_toml import parse_toml, simple_toml

USUAL = '''db = "counter1.db"
printer = "tcp://192.168.1.50:9100"
printer_profile = "TM-T88V"
printer_qr = "auto"         # "image": the QR as an image even where the printer has a QR command
drawer_on_cash = true
central_url = ""            # empty: this terminal owns every place of its events
hold_minutes = 7

[venue]
language = "zh_CN"      # receipts, tickets and PDFs are printed in it, whoever is logged in
# 大剧院的设置
[allocation]
top_up_below = 10   # ask when fewer unsold places than this are held in a section (0: never ask)
top_up_to = +50
'''


def test_the_usual_file_is_read_without_tomllib_to_the_same_values() -> None:
    assert simple_toml(USUAL) == tomllib.loads(USUAL)
    assert simple_toml('venue_name = \'Hall "A"\'\nlock_minutes=-0\n[boxoffice]\ndb="x.db"') == {
        "venue_name": 'Hall "A"', "lock_minutes": 0, "boxoffice": {"db": "x.db"}}
    assert simple_toml("") == {} == tomllib.loads("")


@pytest.mark.parametrize("text", [
    'a = "x\\ty"', "a = 1.5", "a = 1_000", "a = 007", "a = 0x1F", "a = [1, 2]", "a = {b = 1}", "a.b = 1",
    '"a" = 1', "a = 1\na = 2", "[t]\n[t]", "a = 1\n[a]", "[[t]]", "[ t ]", 'a = """x"""', "a = '''x'''",
    'a = "x" "y"', "a = 1 2", "a = 1\r\nb = 2", "a = 2026-12-04", "a = inf", "a =", "= 1", "a = \"x",
    "a = 'x\ty'", "\ufeffa = 1", "a = 1 # tab\there", "# tab\there", "a = 12345678901234567890", "a = TRUE",
])
def test_anything_else_is_left_to_tomllib(text: str) -> None:
    assert simple_toml(text) is None


_PIECES = st.sampled_from([
    "a", "b", "db", "x-y_1", "[a]", "[b]", "[t]", "=", " = ", " ", "\t", "\n", "\n", "\n", "#", "# c", '"', "'",
    '"v"', "'v'", '"#"', '"\\n"', '""', "''", "1", "-1", "+7", "0", "00", "1.0", "true", "false", "True", "[", "]",
    ".", "\r", "\x00", "\x7f", "\u2028", "\u00a0", "大", "é", "1_0", "[[a]]", "a = 1", "b = 'x'", "a = true\n",
])


@settings(max_examples=3000, deadline=None)
@given(st.lists(_PIECES, max_size=14).map("".join))
def test_what_it_reads_tomllib_reads_the_same(text: str) -> None:
    simple = simple_toml(text)
    try:
        expected = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        assert simple is None
        return
    assert simple is None or simple == expected
    assert parse_toml(text) == expected


def test_a_broken_file_is_still_refused_with_tomllibs_message(tmp_path: Path) -> None:
    from boxoffice.errors import BoxOfficeError

    toml = tmp_path / "boxoffice.toml"
    toml.write_text('db = "a.db"\ndb = "b.db"\n', encoding="utf-8")
    with pytest.raises(BoxOfficeError) as raised:
        load(str(toml))
    try:
        tomllib.loads(toml.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        assert raised.value.message == f"config file {toml} is not valid TOML: {str(exc).splitlines()[0]}"
    else:
        pytest.fail("tomllib read a key given twice")
