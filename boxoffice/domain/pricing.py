"""The lines of an order: one price per ticket, its tax share, and the per-order limits."""

from __future__ import annotations

from dataclasses import dataclass

from boxoffice.domain.money import tax_share
from boxoffice.domain.numbers import is_whole, parse_whole
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _


@dataclass(frozen=True)
class Line:
    """One ticket type in an order."""

    ticket_type_id: str
    name: str
    count: int
    unit_price: int
    unit_tax: int

    @property
    def amount(self) -> int:
        return self.unit_price * self.count


def parse_type_counts(specs: list[str]) -> dict[str, int]:
    """'adult=2' '--type child' (one) into {'adult': 2, 'child': 1}, refusing zero, negatives and junk."""
    counts: dict[str, int] = {}
    for spec in specs:
        name, _sep, n = spec.partition("=")
        name = name.strip().lower()
        if not name:
            raise BoxOfficeError("bad_input", _("--type {spec!r}: write TYPE=COUNT, e.g. adult=2").format(spec=spec))
        if n and not is_whole(n):
            raise BoxOfficeError("bad_input",
                _("--type {spec!r}: the count must be a whole number").format(spec=spec[:40]))
        count = parse_whole(n, f"--type {name[:40]}") if n else 1
        if count < 1 or count > 1000:
            raise BoxOfficeError("bad_input", _("--type {spec!r}: the count must be 1 or more").format(spec=spec[:40]))
        counts[name] = counts.get(name, 0) + count
    if not counts:
        raise BoxOfficeError("bad_input", _("say what to sell: --type adult=2"))
    return counts


def build_lines(counts: dict[str, int], types: dict[str, dict], prices: dict[str, int], section_id: str,
                order_limit: int, rate_bp: int) -> list[Line]:
    """Price each ticket type in the section, enforcing the event's and each type's per-order limit."""
    lines = []
    for tid, count in counts.items():
        if tid not in types:
            raise BoxOfficeError("bad_input", _("no ticket type {type!r}; this event has {types}").format(
                type=tid, types=", ".join(types)))
        if tid not in prices:
            raise BoxOfficeError("bad_input", _("{name} is not sold in section {section!r}").format(
                name=types[tid]["name"], section=section_id))
        limit = types[tid].get("per_order_limit")
        if limit and count > limit:
            raise BoxOfficeError("over_limit", _("at most {limit} {name} tickets an order; sell {limit} now and the "
                                                 "rest as "
                                                 "another order").format(limit=limit, name=types[tid]["name"]),
                                 limit=limit)
        price = prices[tid]
        lines.append(Line(tid, types[tid]["name"], count, price, tax_share(price, rate_bp)))
    total = sum(line.count for line in lines)
    if total > order_limit:
        raise BoxOfficeError("over_limit", _("at most {limit} tickets an order for this event ({total} asked)").format(
            limit=order_limit, total=total),
                             limit=order_limit)
    return lines
