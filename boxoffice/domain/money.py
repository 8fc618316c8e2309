"""Money as integer minor units plus an ISO 4217 currency code: never floats.

Prices include tax; ``tax_share`` works out the tax inside a price from a rate in basis points, so receipts can show
it without re-deriving a net price that would not add up.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import cast

from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import SOURCE_LANGUAGE, _, language

# Currencies whose minor unit is not 1/100. Anything not listed has two decimals.
_EXPONENTS = {"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0, "BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "TND": 3}

MAX_AMOUNT = 10**12  # a sanity bound: no box-office amount comes near it, a typo with many zeros does


def exponent(currency: str) -> int:
    """How many decimals the currency's minor unit has."""
    return _EXPONENTS.get(currency.upper(), 2)


@dataclass(frozen=True, order=True)
class Money:
    """An amount in minor units of one currency."""

    minor: int
    currency: str

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __mul__(self, n: int) -> Money:
        return Money(self.minor * n, self.currency)

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise BoxOfficeError("bad_input", _("cannot mix {currency} and {other}").format(
                currency=self.currency, other=other.currency))

    def __str__(self) -> str:
        return format_money(self.minor, self.currency)


def parse_amount(text: str | int, currency: str) -> int:
    """Parse '12.50' (or '12,50', or an int of major units) into minor units, refusing anything ambiguous.

    Floats never reach here: the catalogue schema keeps prices as strings, the CLI passes the typed text.
    """
    if isinstance(text, bool):
        raise BoxOfficeError("bad_input", _("not an amount: {text!r}").format(text=text))
    if isinstance(text, int):
        text = str(text)
    raw = str(text).strip().replace(",", ".")
    if len(raw) > 40:  # no amount needs more; one line of digits should not reach Decimal or int at all
        raise BoxOfficeError("bad_input",
            _("amount {text!r}... is too long: at most 40 characters").format(text=raw[:20]))
    for symbol in ("$", "€", "£", "¥"):
        raw = raw.removeprefix(symbol)
    exp = exponent(currency)
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise BoxOfficeError("bad_input",
            _("not an amount: {text!r} (write it like 12.50)").format(text=text)) from None
    if not value.is_finite() or value < 0:
        raise BoxOfficeError("bad_input",
            _("not an amount: {text!r} (amounts are positive, like 12.50)").format(text=text))
    if value and value.adjusted() > 30:  # '1e9999999' would take minutes to turn into an integer, or overflow
        raise BoxOfficeError("bad_input", _("amount {text!r} is implausibly large").format(text=text))
    if raw.count(".") > 1 or cast(int, value.as_tuple().exponent) < -exp:  # finite: an int  # '12.505', and '1e-3' too
        raise BoxOfficeError("bad_input", _("{text!r} has more decimals than {currency} allows ({exp})").format(
            text=text, currency=currency, exp=exp))
    minor = int((value * (10**exp)).to_integral_value(rounding=ROUND_HALF_UP))
    if minor > MAX_AMOUNT:
        raise BoxOfficeError("bad_input", _("amount {text!r} is implausibly large").format(text=text))
    return minor


def format_money(minor: int, currency: str, symbol: bool = False) -> str:
    """Render minor units as '12.50' (with the currency code after it when ``symbol`` is set)."""
    exp = exponent(currency)
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**exp) if exp else (abs(minor), 0)
    text = f"{sign}{whole}.{frac:0{exp}d}" if exp else f"{sign}{whole}"
    if symbol and language() != SOURCE_LANGUAGE:
        return _localised(minor, currency, exp)
    return f"{text} {currency}" if symbol else text


def _localised(minor: int, currency: str, exp: int) -> str:
    """An amount with its currency as the language in force writes it (zh_CN: "¥45.00", "£45.00"), by Babel's
    locale data; imported only outside English, so an English sale never loads it."""
    from decimal import Decimal

    from babel.numbers import format_currency

    return format_currency(Decimal(minor).scaleb(-exp), currency, locale=language())


def parse_rate(text: str | int | float) -> int:
    """A tax rate in percent ('20', '5.5') as basis points (2000, 550)."""
    try:
        value = Decimal(str(text))
    except InvalidOperation:
        raise BoxOfficeError("bad_input", _("not a rate: {text!r}").format(text=text)) from None
    if not value.is_finite() or value < 0 or value > 100:
        raise BoxOfficeError("bad_input", _("rate {text!r} must be between 0 and 100 percent").format(text=text))
    return int((value * 100).to_integral_value(rounding=ROUND_HALF_UP))


def tax_share(gross_minor: int, rate_bp: int) -> int:
    """The tax contained in a tax-inclusive amount: gross * r / (1 + r), rounded half up to the minor unit."""
    if rate_bp <= 0:
        return 0
    num = Decimal(gross_minor) * rate_bp
    den = Decimal(10_000 + rate_bp)
    return int((num / den).to_integral_value(rounding=ROUND_HALF_UP))


def percent_of(minor: int, percent_bp: int) -> int:
    """``percent_bp`` basis points of an amount, rounded half up (refund fees)."""
    return int((Decimal(minor) * percent_bp / 10_000).to_integral_value(rounding=ROUND_HALF_UP))
