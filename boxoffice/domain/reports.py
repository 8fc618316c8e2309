"""Grouping report rows: pure functions over plain dicts, so totals can be checked against the journal."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


def group(items: Iterable[dict[str, Any]], key: Callable[[dict[str, Any]], str],
          amount: str = "amount") -> list[dict[str, Any]]:
    """Count and sum ``amount`` per key, in key order."""
    out: dict[str, dict[str, Any]] = {}
    for it in items:
        k = key(it)
        g = out.setdefault(k, {"key": k, "count": 0, "amount": 0})
        g["count"] += 1
        g["amount"] += it[amount]
    return [out[k] for k in sorted(out)]


def totals(groups: list[dict[str, Any]]) -> dict[str, int]:
    return {"count": sum(g["count"] for g in groups), "amount": sum(g["amount"] for g in groups)}
