"""Base45 (RFC 9285), the text form of a ticket's bytes: QR codes hold it in their dense alphanumeric mode, and
the decoder refuses anything the encoder could not have written, so a token has exactly one text form."""

from __future__ import annotations

BASE45_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_BASE45_VALUE = {ch: i for i, ch in enumerate(BASE45_ALPHABET)}


def base45_length(n_bytes: int) -> int:
    """Characters that ``n_bytes`` bytes take in Base45: 3 per byte pair, 2 for an odd last byte."""
    return n_bytes // 2 * 3 + (n_bytes % 2) * 2




def b45encode(data: bytes) -> str:
    """Encode bytes as RFC 9285 Base45: each byte pair becomes three characters, least significant first."""
    a = BASE45_ALPHABET
    out: list[str] = []
    for i in range(0, len(data) - 1, 2):
        rest, c = divmod(data[i] << 8 | data[i + 1], 45)
        e, d = divmod(rest, 45)
        out += (a[c], a[d], a[e])
    if len(data) % 2:
        d, c = divmod(data[-1], 45)
        out += (a[c], a[d])
    return "".join(out)


def b45decode(text: str) -> bytes:
    """Decode RFC 9285 Base45, raising ValueError for anything the encoder could not have produced.

    The checks (alphabet, length not 1 mod 3, each group in range) make the encoding one-to-one, so a token
    has exactly one text form and a changed character can never decode to the same bytes.
    """
    try:
        values = [_BASE45_VALUE[ch] for ch in text]
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
