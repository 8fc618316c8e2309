"""Grouping report rows: pure functions over plain dicts, so totals can be checked against the journal."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


def group(items: Iterable[dict[str, Any]], key: Callable[[dict[str, Any]], str],
          amount: str = "amount", sums: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Count and sum ``amount`` (and each field in ``sums``) per key, in key order."""
    out: dict[str, dict[str, Any]] = {}
    for it in items:
        k = key(it)
        g = out.setdefault(k, {"key": k, "count": 0, "amount": 0, **dict.fromkeys(sums, 0)})
        g["count"] += 1
        g["amount"] += it[amount]
        for f in sums:
            g[f] += it[f]
    return [out[k] for k in sorted(out)]


def totals(groups: list[dict[str, Any]], sums: tuple[str, ...] = ()) -> dict[str, int]:
    """The sum of every group's count, amount and ``sums`` fields: the report's TOTAL line."""
    return {f: sum(g[f] for g in groups) for f in ("count", "amount", *sums)}
