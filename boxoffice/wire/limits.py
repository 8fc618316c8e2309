"""Bounds on what one message may ask of its reader, shared by the central service and the terminal.

A document is checked against its JSON Schema by the reference checker (jsonschema), which builds an error object
for every problem and, asked for all of them, keeps them all: 0.3 MB of empty push entries made 3.2 GB of errors.
So before a schema runs, :func:`shape_problems` walks the document once without recursion and refuses nesting past
``MAX_DEPTH`` and a top-level list longer than its schema's own ``maxItems`` (an entry count), and callers stop at
the first ``MAX_ERRORS`` problems. The same bounds apply to what the central service receives and to what a
terminal imports or pulls.

``PUSH_MAX_BYTES`` is the largest push body the central service reads; the terminal cuts its batches to it
(services/sync/rounds.py), so no honest batch is ever refused for its size.
"""

from __future__ import annotations

from typing import Any

MAX_DEPTH = 64  # the deepest schema nests about ten levels; orjson itself gives up at 1024
MAX_ERRORS = 20  # the first few located problems say what is wrong; thousands only cost memory
PUSH_MAX_BYTES = 8_000_000  # a push body: 500 sales entries are about 1 MB; one entry's payload is at most 1 MB
SMALL_BODY_BYTES = 64_000  # an enrollment, a top-up request, any other body


def depth_exceeds(doc: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether lists and objects nest deeper than ``limit``, found without recursion: one level at a time, so each
    value is looked at once, with no bookkeeping for the scalars (most of a document), and never past ``limit``."""
    level = [doc] if isinstance(doc, (dict, list)) else []
    depth = 0
    while level:
        if depth >= limit:
            return True
        deeper: list[Any] = []
        add = deeper.append
        for item in level:
            for child in item.values() if isinstance(item, dict) else item:
                if isinstance(child, (dict, list)):
                    add(child)
        level = deeper
        depth += 1
    return False


def shape_problems(doc: Any, schema: dict[str, Any], max_depth: int = MAX_DEPTH) -> list[str]:
    """Problems found before any schema runs: nesting past ``max_depth``, a top-level list (or the document
    itself, when a list) longer than the ``maxItems`` its schema gives it. Empty when the shape is in bounds."""
    out = []
    root_max = schema.get("maxItems")
    if isinstance(doc, list) and isinstance(root_max, int) and len(doc) > root_max:
        out.append(f"/: {len(doc)} items; at most {root_max}")
    if isinstance(doc, dict):
        for name, sub in (schema.get("properties") or {}).items():
            most = sub.get("maxItems") if isinstance(sub, dict) else None
            value = doc.get(name)
            if isinstance(value, list) and isinstance(most, int) and len(value) > most:
                out.append(f"/{name}: {len(value)} items; at most {most}")
    if out:
        return out
    if depth_exceeds(doc, max_depth):
        return [f"/: lists and objects nest more than {max_depth} deep"]
    return []
