"""Loading and applying the JSON Schemas in schemas/, with errors located by JSON pointer.

The repository keeps the schemas in its top-level schemas/ folder (they document every boundary); the build maps
that folder to the package ``boxoffice.json_schemas`` (pyproject.toml), so an installed wheel carries them and they are
read through importlib.resources, never by a path relative to this file.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from itertools import islice
from pathlib import Path
from typing import Any

from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _
from boxoffice.wire.limits import MAX_ERRORS, shape_problems

SCHEMA_PACKAGE = "boxoffice.json_schemas"


def schema_files() -> Traversable:
    """The shipped schemas/ folder, wherever the package is installed (checkout, site-packages, zip)."""
    return resources.files(SCHEMA_PACKAGE)


@cache
def load_schema(name: str) -> dict[str, Any]:
    """A schema from schemas/ by file name."""
    return json.loads(schema_files().joinpath(name).read_text(encoding="utf-8"))


def located_errors(doc: Any, schema_name: str, limit: int = MAX_ERRORS) -> list[str]:
    """The first ``limit`` schema violations as 'pointer: message', sorted by place.

    The shape is checked first (wire/limits.py: depth, entry counts) and the checker's errors are taken lazily and
    no more than ``limit``: asked for every error, it kept them all, gigabytes for a small document of empty
    entries. Which ``limit`` errors are shown is the checker's order; they are enough to say what is wrong."""
    from jsonschema import Draft202012Validator

    schema = load_schema(schema_name)
    shape = shape_problems(doc, schema)
    if shape:
        return shape
    validator = Draft202012Validator(schema)
    found = list(islice(validator.iter_errors(doc), limit + 1))
    out = []
    for err in sorted(found[:limit], key=lambda e: list(map(str, e.absolute_path))):
        pointer = "/" + "/".join(str(p) for p in err.absolute_path)
        if len(pointer) > 200:
            pointer = pointer[:197] + "..."
        msg = err.message if len(err.message) < 200 else err.message[:197] + "..."
        out.append(f"{pointer}: {msg}")
    if len(found) > limit:
        out.append("(more errors not shown; fix these first)")
    return out


# The documents callers name in a refusal ("the catalogue has 3 error(s)"), translated where shown.
DOCUMENT_NAMES = frozenset((N_("catalogue"), N_("orders document"), N_("key list"), N_("web orders document")))


def _named(what: str) -> str:
    return _(what) if what in DOCUMENT_NAMES else what


def read_json_file(path: str | Path, max_bytes: int, what: str) -> Any:
    """Read a JSON document, refusing oversized files before reading them and locating syntax errors."""
    p = Path(path)
    named = _named(what)
    if p.is_dir():
        raise BoxOfficeError("bad_input", _("{path} is a directory: name the {what} file itself").format(
            path=p, what=named))
    if not p.is_file():
        raise BoxOfficeError("not_found", _("{what} file {path} does not exist").format(what=named, path=p))
    size = p.stat().st_size
    if size > max_bytes:
        raise BoxOfficeError("invalid_document", _("{path} is {size:.1f} MB; a {what} is at most {most:.0f} MB: split "
                                                   "it").format(
            path=p, size=size / 1e6, what=named, most=max_bytes / 1e6))
    try:
        text = p.read_bytes().decode("utf-8")
        doc = json.loads(text, parse_int=lambda digits: _whole(digits, p))
        if "\\u" in text:  # only an escape can make half a UTF-16 pair, which no database or printer can take
            json.dumps(doc, ensure_ascii=False).encode("utf-8")
        return doc
    except UnicodeEncodeError:
        raise BoxOfficeError("invalid_document", _("{path} holds an escape (\\ud800 to \\udfff) that is half of a "
                                                   "character, not text").format(path=p)) from None
    except UnicodeDecodeError:
        raise BoxOfficeError("invalid_document", _("{path} is not UTF-8 text").format(path=p)) from None
    except RecursionError:
        raise BoxOfficeError("invalid_document", _("{path} nests arrays or objects too deeply to be a {what}").format(
            path=p, what=named)) from None
    except json.JSONDecodeError as exc:
        raise BoxOfficeError("invalid_document",
            _("{path} is not valid JSON: line {line} column {column}: {problem}").format(
            path=p, line=exc.lineno, column=exc.colno, problem=exc.msg),
            errors=[_("line {line}: {problem}").format(line=exc.lineno, problem=exc.msg)]) from None


def _whole(digits: str, p: Path) -> int:
    """A JSON integer, refused past any use (Python's int() gives up past 4,300 digits with its own error)."""
    from boxoffice.domain.numbers import MAX_DIGITS

    if len(digits.lstrip("-")) > MAX_DIGITS:
        raise BoxOfficeError("invalid_document", _("{path} holds a number of {count} digits; at most {most}").format(
            path=p, count=len(digits), most=MAX_DIGITS))
    return int(digits)


def validate(doc: Any, schema_name: str, what: str) -> None:
    """Refuse a document that does not match its schema, listing every located error."""
    errors = located_errors(doc, schema_name)
    if errors:
        located = [e for e in errors if e.startswith("/")]
        if len(located) == len(errors):
            message = _("the {what} has {count} error(s); nothing was imported. First: {first}")
        else:
            message = _("the {what} has more than {count} error(s); nothing was imported. First: {first}")
        raise BoxOfficeError("invalid_document", message.format(what=_named(what), count=len(located),
                                                                first=errors[0]), errors=errors)
