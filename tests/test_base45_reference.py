"""Base45 as tickets/base45.py reads and writes it, against the plain reading of RFC 9285 it replaced (a Python
loop per group): the same text for any bytes, the same bytes for any text, the same refusal for anything else."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boxoffice.tickets import base45

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
VALUE = {ch: i for i, ch in enumerate(ALPHABET)}


def reference_encode(data: bytes) -> str:
    out: list[str] = []
    for i in range(0, len(data) - 1, 2):
        rest, c = divmod(data[i] << 8 | data[i + 1], 45)
        e, d = divmod(rest, 45)
        out += (ALPHABET[c], ALPHABET[d], ALPHABET[e])
    if len(data) % 2:
        d, c = divmod(data[-1], 45)
        out += (ALPHABET[c], ALPHABET[d])
    return "".join(out)


def reference_decode(text: str) -> bytes:
    try:
        values = [VALUE[ch] for ch in text]
    except KeyError as exc:
        raise ValueError(f"character {exc.args[0]!r} is not in the Base45 alphabet") from None
    if len(values) % 3 == 1:
        raise ValueError("wrong length for Base45")
    out = bytearray()
    full = len(values) - len(values) % 3
    for i in range(0, full, 3):
        n = values[i] + values[i + 1] * 45 + values[i + 2] * 45 * 45
        if n > 0xFFFF:
            raise ValueError("a Base45 group is out of range")
        out += n.to_bytes(2, "big")
    if full != len(values):
        n = values[-2] + values[-1] * 45
        if n > 0xFF:
            raise ValueError("a Base45 group is out of range")
        out.append(n)
    return bytes(out)


def outcome(decode, text: str) -> tuple[str, object]:  # noqa: ANN001 - either decoder
    try:
        return "ok", decode(text)
    except ValueError as exc:
        return "refused", str(exc)


@settings(max_examples=2000)
@given(st.binary(max_size=300))
def test_encode_is_the_reference_text(raw: bytes) -> None:
    assert base45.b45encode(raw) == reference_encode(raw)
    assert base45.b45encode(bytearray(raw)) == reference_encode(raw)
    assert base45.b45decode(reference_encode(raw)) == raw


# Mostly the alphabet (so that lengths and ranges are what is tested), sometimes anything else.
near_base45 = st.text(alphabet=st.sampled_from(ALPHABET), max_size=200) | st.text(max_size=60) | st.text(
    alphabet=st.sampled_from(ALPHABET + "abc\n\t\x00é€\U0001f600~_"), max_size=60)


@settings(max_examples=3000)
@given(near_base45)
def test_decode_gives_and_refuses_as_the_reference(text: str) -> None:
    assert outcome(base45.b45decode, text) == outcome(reference_decode, text)


@pytest.mark.parametrize("text", [
    "GGW", "FGW", ":::", "::", "U5", "V5", "", "0", "00", "0000", "FGWFGW", "FGW:::", "GGWU5", "FGWV5", "FGW0",
    "BB8é", "éBB8", "BB8\x7f", "BB8\xff", "bb8", " " * 3, "ZZZ" * 51, "FGW" * 51 + "U5",
])
def test_decode_edges_as_the_reference(text: str) -> None:
    assert outcome(base45.b45decode, text) == outcome(reference_decode, text)


def test_every_group_at_the_edge_of_its_range() -> None:
    for n in (0xFFFF, 0x10000, 45 ** 3 - 1):
        text = "".join(ALPHABET[n // 45 ** k % 45] for k in range(3))
        assert outcome(base45.b45decode, "000" + text + "000") == outcome(reference_decode, "000" + text + "000")
    for n in (0xFF, 0x100, 45 ** 2 - 1):
        text = ALPHABET[n % 45] + ALPHABET[n // 45]
        assert outcome(base45.b45decode, "000" + text) == outcome(reference_decode, "000" + text)
