"""Short order codes that people read aloud, print on receipts and type back in at the pickup desk.

A code is eight characters from a 31-symbol alphabet with no 0/O and no 1/I/L, so a code read off a
smudged receipt or said over a noisy counter cannot be mistaken for another symbol:

    TTT SSSS C     shown as  TTTS-SSSC
    |   |    +---- check character (weighted sum modulo 31 over the seven characters before it)
    |   +--------- the terminal's order sequence number, base 31, zero-padded with '2' (31**4 per tag)
    +------------- the terminal tag, drawn at random once per terminal

Codes are unique across terminals without any coordination because each terminal numbers its own orders
under its own tag. Tags that start with 'W' are kept for the central service (web orders), so a terminal
tag never does.

The check character makes the weighted sum of all eight symbol values zero modulo 31, with weights
8, 7, ..., 2 for the seven payload characters and 1 for the check character. Because 31 is prime and the
weights are distinct and non-zero modulo 31, this catches every single-character substitution and every
transposition of two characters, adjacent or not.

Luhn mod N was considered and rejected: its "sum the base-N digits of the doubled value" step is a
one-to-one map only when N is even. With 31 symbols it lets some single substitutions through ('A' and
'S' both double to 16, for instance), while a plain weighted sum over a prime modulus has no blind spot.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _

if TYPE_CHECKING:
    import random

ALPHABET: str = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

_BASE = len(ALPHABET)
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}

TAG_LENGTH = 3
SEQ_LENGTH = 4
CODE_LENGTH = TAG_LENGTH + SEQ_LENGTH + 1
MAX_SEQ = _BASE**SEQ_LENGTH - 1
CENTRAL_TAG_PREFIX = "W"

# A code exactly as make_order_code writes it (the usual case: a pushed sale's code), which needs no folding.
_DISPLAY_FORM = re.compile(f"[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}")

# Payload weights, left to right; the check character's weight is 1.
_WEIGHTS = tuple(range(CODE_LENGTH, 1, -1))

# Characters people type by habit that the alphabet leaves out on purpose; naming them in the error
# tells the person exactly which character on the receipt they misread.
_LOOK_ALIKES = {
    "0": N_("'0' (zero) is never used in order codes: check the character"),
    "O": N_("'O' is never used in order codes: check the letter"),
    "1": N_("'1' (one) is never used in order codes: check the character"),
    "I": N_("'I' is never used in order codes: check the letter"),
    "L": N_("'L' is never used in order codes: check the letter"),
}


def _check_character(payload: str) -> str:
    """Return the check character for a seven-character ``payload`` already known to be in the alphabet.

    It is the symbol whose value brings the weighted total to a multiple of 31.
    """
    total = sum(weight * _VALUE[ch] for weight, ch in zip(_WEIGHTS, payload, strict=True))
    return ALPHABET[-total % _BASE]


def _display(compact: str) -> str:
    """Split eight characters into the 4-hyphen-4 form, which is easier to read aloud in two breaths."""
    return f"{compact[:4]}-{compact[4:]}"


def _compact(text: str) -> str:
    """Drop the separators people type or paste (spaces, hyphens) and fold ASCII letters to upper case.

    Only ASCII is folded: ``str.upper`` maps some non-ASCII letters (long s, dotless i) onto ASCII ones,
    which would let a look-alike from another script pass as a real code.
    """
    return "".join(ch.upper() if ch.isascii() else ch for ch in text if ch != "-" and not ch.isspace())


def new_terminal_tag(rng: random.Random | None = None) -> str:
    """Draw a terminal tag: three random alphabet characters, never starting with 'W'.

    Uses the operating system's randomness unless ``rng`` is given, so two terminals set up from the same
    disk image do not draw the same tag; tests pass a seeded ``random.Random`` to get a known tag.
    """
    import secrets  # here: only setting up a terminal draws one, and secrets brings hmac and OpenSSL's hashes

    choice = rng.choice if rng is not None else secrets.choice
    first_symbols = ALPHABET.replace(CENTRAL_TAG_PREFIX, "")
    return choice(first_symbols) + "".join(choice(ALPHABET) for _ in range(TAG_LENGTH - 1))


def make_order_code(tag: str, seq: int) -> str:
    """Build the display form of the code for order number ``seq`` under ``tag``, e.g. ``"ABC2-222Z"``.

    Raises ``ValueError`` (a programming error, not user input) when the tag is not three alphabet
    characters or ``seq`` is outside ``0..31**4 - 1``; a terminal that runs out of numbers needs a new tag.
    """
    if not isinstance(tag, str) or len(tag) != TAG_LENGTH or any(ch not in _VALUE for ch in tag):
        raise ValueError(f"a terminal tag is {TAG_LENGTH} characters of the order-code alphabet, not {tag!r}")
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq <= MAX_SEQ:
        raise ValueError(f"order sequence number must be an integer from 0 to {MAX_SEQ}, not {seq!r}")
    digits = []
    for _digit in range(SEQ_LENGTH):
        seq, digit = divmod(seq, _BASE)
        digits.append(ALPHABET[digit])
    payload = tag + "".join(reversed(digits))
    return _display(payload + _check_character(payload))


def normalise_code(text: str) -> str:
    """Turn whatever was typed into the display form of a valid order code, or say precisely what is wrong.

    Forgiving about case, spaces and hyphens, because people type codes the way they read them. Strict
    about everything else: a look-alike character (0, O, 1, I, L) is rejected by name rather than guessed
    at, since a guess could turn a typo into somebody else's order. Raises ``BoxOfficeError("bad_input")``.
    """
    if not isinstance(text, str):
        raise BoxOfficeError("bad_input", _("an order code must be text"))
    compact = _compact(text)
    for ch in compact:
        if ch in _VALUE:
            continue
        if ch in _LOOK_ALIKES:
            raise BoxOfficeError("bad_input", _(_LOOK_ALIKES[ch]), character=ch)
        raise BoxOfficeError(
            "bad_input",
            _("{character!r} cannot appear in an order code: codes use only {alphabet}").format(
                character=ch, alphabet=ALPHABET),
            character=ch,
        )
    if len(compact) != CODE_LENGTH:
        raise BoxOfficeError(
            "bad_input",
            _("an order code has {length} characters (like ABC2-222Z), this has {count}: "
              "check for a missing or extra character").format(length=CODE_LENGTH, count=len(compact)),
            length=len(compact),
        )
    shown = _display(compact)
    if _check_character(compact[:-1]) != compact[-1]:
        raise BoxOfficeError(
            "bad_input",
            _("order code {code} has a wrong check character: check for a typo").format(code=shown),
            order_code=shown,
        )
    return shown


def looks_like_order_code(text: str) -> bool:
    """True when ``text`` has the shape of an order code: eight alphabet characters once separators go.

    The check character is deliberately not verified: this only routes a pickup search, so a code with a
    typo in it still goes to the code lookup, where ``normalise_code`` explains the typo instead of the
    search quietly treating it as a name. Some names fit the shape too ("STEPHENS"), so a search should
    fall back to names when no order has the code.
    """
    if not isinstance(text, str):
        return False
    compact = _compact(text)
    return len(compact) == CODE_LENGTH and all(ch in _VALUE for ch in compact)


def code_parts(code: str) -> tuple[str, int] | None:
    """(tag, order number) of a code in display or compact form, or None when it is not a valid order code.

    The inverse of ``make_order_code``: a terminal rebuilt from the central service's copy of its journal learns
    from the codes it finds how far its order numbers went, so it never hands one out again.
    """
    if isinstance(code, str) and _DISPLAY_FORM.fullmatch(code):  # as make_order_code writes it: nothing to fold
        compact = code[:4] + code[5:]
        if _check_character(compact[:-1]) != compact[-1]:
            return None
    else:
        try:
            compact = _compact(normalise_code(code))
        except BoxOfficeError:
            return None
    seq = 0
    for ch in compact[TAG_LENGTH:TAG_LENGTH + SEQ_LENGTH]:
        seq = seq * _BASE + _VALUE[ch]
    return compact[:TAG_LENGTH], seq


def reused_code(code: str, order_id: str) -> str:
    """The code an order is kept under when another order already has its code: the printed code, then '~' and
    the end of the order's id (the same on every terminal and the central service).

    Two orders with one code exist only when a terminal was put back from an older copy of its database and sold
    again before it learned how far it had got. Both are real sales; the customer's paper shows the printed code,
    this form keeps the second one findable (by ticket, or by this code) and the clash is flagged for a supervisor.
    """
    return f"{code}~{order_id.replace('-', '')[-6:].upper()}"


def normalise_lookup(text: str) -> str:
    """``normalise_code`` for what people type to find an order, also taking the CODE~ID form a second order with
    a reused code is kept under (``reused_code``)."""
    if isinstance(text, str) and "~" in text:
        head, _sep, tail = text.partition("~")
        tail = tail.strip().upper()
        if len(tail) != 6 or any(ch not in "0123456789ABCDEF" for ch in tail):
            raise BoxOfficeError("bad_input", _("after '~' an order code has the six characters shown with it"))
        return f"{normalise_code(head)}~{tail}"
    return normalise_code(text)
