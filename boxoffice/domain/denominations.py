"""The notes and coins of the currencies venues use, so a drawer can be counted piece by piece.

A seller counting a drawer counts "three twenties, four fives...", not a total: counting by denomination is slower
to fake and quicker to check. Values are in minor units; a value that exists as both a note and a coin (the one-yuan
note and coin) is listed once, since both count the same. A currency not listed here is counted as a total only.
"""

from __future__ import annotations

from typing import Final

from boxoffice.domain.money import format_money, parse_amount
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _

# currency -> (notes, coins), largest first, in minor units
_TABLE: Final[dict[str, tuple[tuple[int, ...], tuple[int, ...]]]] = {
    "EUR": ((50000, 20000, 10000, 5000, 2000, 1000, 500), (200, 100, 50, 20, 10, 5, 2, 1)),
    "GBP": ((5000, 2000, 1000, 500), (200, 100, 50, 20, 10, 5, 2, 1)),
    "USD": ((10000, 5000, 2000, 1000, 500, 200, 100), (50, 25, 10, 5, 1)),
    "CNY": ((10000, 5000, 2000, 1000, 500, 100), (50, 10)),
    "CHF": ((100000, 20000, 10000, 5000, 2000, 1000), (500, 200, 100, 50, 20, 10, 5)),
    "JPY": ((10000, 5000, 2000, 1000), (500, 100, 50, 10, 5, 1)),
}

MAX_PIECES = 100_000  # more pieces of one value than any drawer holds: a typo


def known(currency: str) -> bool:
    """Whether this currency's notes and coins are listed (else the drawer is counted as a total)."""
    return currency.upper() in _TABLE


def denominations(currency: str) -> list[tuple[int, str]]:
    """(value in minor units, "note" or "coin"), largest first; empty for a currency not listed."""
    notes, coins = _TABLE.get(currency.upper(), ((), ()))
    return [(v, "note") for v in notes] + [(v, "coin") for v in coins]


def total(counts: dict[int, int]) -> int:
    """The cash a count by denomination comes to."""
    return sum(value * n for value, n in counts.items())


def check_counts(counts: dict[int, int], currency: str) -> dict[int, int]:
    """The count with zero lines dropped; refuses a value the currency has no note or coin for, or a bad number."""
    values = {v for v, _ in denominations(currency)}
    listed = ", ".join(format_money(v, currency) for v in sorted(values, reverse=True))
    if not values:
        raise BoxOfficeError("bad_input",
            _("no notes and coins are listed for {currency}: give the total counted").format(
            currency=currency))
    out: dict[int, int] = {}
    for value, n in counts.items():
        if value not in values:
            raise BoxOfficeError("bad_input",
                _("{amount} is not a {currency} note or coin (there are {listed})").format(
                amount=format_money(value, currency), currency=currency, listed=listed))
        if isinstance(n, bool) or not isinstance(n, int) or n < 0 or n > MAX_PIECES:
            raise BoxOfficeError("bad_input", _("{pieces!r} pieces of {amount}: a count is 0 to {most}").format(
                pieces=n, amount=format_money(value, currency), most=MAX_PIECES))
        if n:
            out[value] = out.get(value, 0) + n
    return out


def parse_count(text: str, currency: str) -> tuple[int, int]:
    """One ``VALUExN`` as typed on the command line ("20x3": three twenties, "0.50x4": four fifty-pence coins)."""
    raw = text.strip().lower().replace("×", "x")
    value_text, sep, n_text = raw.rpartition("x")
    if not sep or not value_text or not n_text.strip().isascii() or not n_text.strip().isdigit():
        raise BoxOfficeError("bad_input",
            _("not a count: {text!r} (write VALUExPIECES, e.g. 20x3 for three 20s)").format(
            text=text))
    n = int(n_text.strip())
    if n > MAX_PIECES:
        raise BoxOfficeError("bad_input",
            _("{text!r}: at most {most} pieces of one value").format(text=text, most=MAX_PIECES))
    return parse_amount(value_text.strip(), currency), n


def parse_counts(texts: list[str], currency: str) -> dict[int, int]:
    """Several ``VALUExN`` (a value given twice adds up), checked against the currency's notes and coins."""
    counts: dict[int, int] = {}
    for text in texts:
        value, n = parse_count(text, currency)
        counts[value] = counts.get(value, 0) + n
    return check_counts(counts, currency)


def count_lines(counts: dict[int, int], currency: str) -> list[dict[str, int | str]]:
    """The count as lines for a report or the journal, largest value first."""
    return [{"value": v, "label": format_money(v, currency), "pieces": n, "amount": v * n}
            for v, n in sorted(counts.items(), reverse=True)]
