"""Base45 (RFC 9285), the text form of a ticket's bytes: QR codes hold it in their dense alphanumeric mode, and
the decoder refuses anything the encoder could not have written, so a token has exactly one text form.

Every door scan decodes a token, so both directions work on whole strings at once rather than a Python loop per
group: decoding translates the characters to their values with one ``bytes.translate``, then adds the groups'
three digits as three big integers whose 3-byte slots hold one group each (a group is at most 91,124, so no slot
carries into the next); encoding looks each byte pair's three characters up in a table of the 2,025 two-character
endings. Anything the fast path does not take (text that is not ASCII, a character outside the alphabet) goes to
the plain reading, which says which character is wrong.
"""

from __future__ import annotations

from array import array
from sys import byteorder

BASE45_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_BASE45_VALUE = {ch: i for i, ch in enumerate(BASE45_ALPHABET)}
_BAD = 0xFF  # a byte's value in _VALUES when it is not a Base45 character
_VALUES = bytes(_BASE45_VALUE.get(chr(b), _BAD) for b in range(256))  # ASCII byte -> its Base45 value
_PAIRS: list[str] = []  # n % 2025 -> its first two characters, built at the first encoding


def base45_length(n_bytes: int) -> int:
    """Characters that ``n_bytes`` bytes take in Base45: 3 per byte pair, 2 for an odd last byte."""
    return n_bytes // 2 * 3 + (n_bytes % 2) * 2


def b45encode(data: bytes) -> str:
    """Encode bytes as RFC 9285 Base45: each byte pair becomes three characters, least significant first."""
    a = BASE45_ALPHABET
    pairs = _PAIRS or _pairs()
    even = len(data) - len(data) % 2
    words = array("H", bytes(data[:even]))  # each byte pair as one 16-bit number
    if byteorder == "little":
        words.byteswap()  # the pair's first byte is its high byte
    text = "".join([pairs[n % 2025] + a[n // 2025] for n in words])
    if even != len(data):
        d, c = divmod(data[-1], 45)
        text += a[c] + a[d]
    return text


def _pairs() -> list[str]:
    """The table b45encode reads: the two characters for each value below 45 * 45, least significant first."""
    a = BASE45_ALPHABET
    _PAIRS[:] = [a[n % 45] + a[n // 45] for n in range(45 * 45)]
    return _PAIRS


def b45decode(text: str) -> bytes:
    """Decode RFC 9285 Base45, raising ValueError for anything the encoder could not have produced.

    The checks (alphabet, length not 1 mod 3, each group in range) make the encoding one-to-one, so a token
    has exactly one text form and a changed character can never decode to the same bytes.
    """
    values = _values(text)
    size = len(values)
    if size % 3 == 1:
        raise ValueError("wrong length for Base45")
    groups = size // 3
    full = groups * 3
    out = bytearray(groups * 2)
    if groups:
        # Three numbers whose 3-byte (big-endian) slots hold each group's first, second and third value.
        slots = bytearray(full)
        slots[2::3] = values[0:full:3]
        low = int.from_bytes(slots, "big")
        slots[2::3] = values[1:full:3]
        mid = int.from_bytes(slots, "big")
        slots[2::3] = values[2:full:3]
        total = (low + mid * 45 + int.from_bytes(slots, "big") * 2025).to_bytes(full, "big")
        if total[0::3].count(0) != groups:  # a slot's top byte is set: that group is above 0xFFFF
            raise ValueError("a Base45 group is out of range")
        out[0::2] = total[1::3]
        out[1::2] = total[2::3]
    if full != size:
        n = values[-2] + values[-1] * 45
        if n > 0xFF:
            raise ValueError("a Base45 group is out of range")
        out.append(n)
    return bytes(out)


def _values(text: str) -> bytes:
    """Each character's Base45 value, one byte each; ValueError naming the first character not in the alphabet."""
    if isinstance(text, str) and text.isascii():
        values = text.encode("ascii").translate(_VALUES)
        if _BAD not in values:
            return values
    try:
        return bytes([_BASE45_VALUE[ch] for ch in text])
    except KeyError as exc:
        raise ValueError(f"character {exc.args[0]!r} is not in the Base45 alphabet") from None
