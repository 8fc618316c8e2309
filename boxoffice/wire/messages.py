"""Checking sync messages against schemas/sync-*.schema.json, on both ends, fast on the common path.

A push batch of a thousand entries or a page of a thousand changes is checked on every request. The reference
checker (jsonschema, through boxoffice.wire.schemas) needs about 80 ms for that; jsonschema-rs needs under 1 ms. So
when jsonschema-rs is installed (it comes with the ``central`` extra) it answers "valid?" first, and only a document
it rejects goes to the reference checker, which locates every problem. If the two ever disagreed, the reference
checker's word is final: a document it accepts is accepted.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from boxoffice.wire.limits import shape_problems
from boxoffice.wire.schemas import load_schema, located_errors


@cache
def _fast(schema_name: str) -> Any:
    try:
        import jsonschema_rs
    except ImportError:
        return None
    return jsonschema_rs.validator_for(load_schema(schema_name))


def problems(doc: Any, schema_name: str) -> list[str]:
    """The first violations of the schema, located ('/entries/3/seq: ...'); empty when the document is valid.

    The shape comes first (wire/limits.py): a list longer than the schema allows or nesting too deep is refused
    before either checker walks it."""
    shape = shape_problems(doc, load_schema(schema_name))
    if shape:
        return shape
    fast = _fast(schema_name)
    if fast is not None and fast.is_valid(doc):
        return []
    return located_errors(doc, schema_name)
