"""JSON for sync messages: orjson when installed (the ``central`` extra brings it), else the standard library.

A push of a thousand sales means a megabyte of JSON read, a thousand payloads parsed and a thousand feed bodies
written on the central service, and the same again in a pull on the terminal; orjson does each several times
faster. Both write compact UTF-8 JSON that any reader takes; nothing hashed goes through here (the journal's hash
covers the canonical text made by domain.chain, sent and stored as it is).
"""

from __future__ import annotations

import json
from typing import Any

try:
    import orjson
except ImportError:  # pragma: no cover - the central extra installs it
    orjson = None  # type: ignore[assignment]

def loads(data: bytes | str) -> Any:
    if orjson is not None:
        return orjson.loads(data)
    return json.loads(data)


def dumps(value: Any) -> str:
    """Compact JSON text."""
    if orjson is not None:
        return orjson.dumps(value).decode("utf-8")
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def dumps_bytes(value: Any) -> bytes:
    if orjson is not None:
        return orjson.dumps(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
