"""Keep the catalogues in step with the code: extract every marked string, merge the translations, compile.

``python -m boxoffice.i18n.catalog update`` after changing a message: it extracts every ``_()``, ``N_()`` and
``ngettext()`` string from the package (Babel's extractor), keeps each translation already in
``locale/<lang>/LC_MESSAGES/boxoffice.po`` (and takes any from ``parts/*.po`` beside it, which are then merged
in and removed; ``update --keep-parts`` compiles the .mo alone and leaves them), drops what the code no longer
says, and compiles the ``.mo`` the program loads.
``... catalog check`` exits 1 naming what is wrong: an untranslated message, a translation whose ``{placeholders}``
differ from the English (``.format`` would fail at the counter), or a ``.mo`` older than its ``.po``. The tests
run the same check.

Babel is a dependency of the program anyway (money and dates by locale); this module is never imported on a
command's path.
"""

from __future__ import annotations

import ast
import io
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from boxoffice.i18n import DOMAIN, LANGUAGES, LOCALE_DIR, SOURCE_LANGUAGE

PACKAGE = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
_FIXED = datetime(2026, 1, 1, tzinfo=UTC)  # the header's dates: fixed, so an update changes only what changed
_PLACEHOLDER = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*|\d*)(?:![rsa])?(?::[^{}]*)?\}(?!\})")


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(lang: str) -> Path:
    return po_path(lang).with_suffix(".mo")


def extract() -> dict[str, tuple[str, str | None, list[tuple[str, int]]]]:
    """Every marked message in the package: msgid -> (msgid, plural or None, locations)."""
    found: dict[str, tuple[str, str | None, list[tuple[str, int]]]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(PACKAGE), method_map=[("**.py", "python")], keywords=KEYWORDS):
        if not message:
            continue
        singular, plural = (message[0], message[1]) if isinstance(message, tuple) else (message, None)
        if not singular:
            continue
        entry = found.setdefault(singular, (singular, plural, []))
        entry[2].append((f"boxoffice/{filename}", lineno))
    for text, where in command_docstrings():
        found.setdefault(text, (text, None, []))[2].append(where)
    return found


def _is_command(node: ast.FunctionDef) -> bool:
    """A Typer command: a function one of whose defaults is ``typer.Option(...)`` or ``typer.Argument(...)``."""
    for default in [*node.args.defaults, *node.args.kw_defaults]:
        if (isinstance(default, ast.Call) and isinstance(default.func, ast.Attribute)
                and isinstance(default.func.value, ast.Name) and default.func.value.id == "typer"
                and default.func.attr in ("Option", "Argument")):
            return True
    return False


def command_docstrings() -> list[tuple[str, tuple[str, int]]]:
    """The help of every command: its docstring, as Typer shows it (``inspect.cleandoc``), which the command
    builder translates (cli/lazy.py). Found by reading the code, so nothing is imported."""
    out: list[tuple[str, tuple[str, int]]] = []
    for path in sorted((PACKAGE / "cli").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and _is_command(node):
                doc = ast.get_docstring(node, clean=True)
                if doc:
                    out.append((doc, (f"boxoffice/{path.relative_to(PACKAGE).as_posix()}", node.lineno)))
    return out


def _read(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f)


def placeholders(text: str) -> set[str]:
    """The named fields ``str.format`` fills in a message."""
    return {m.group(1) for m in _PLACEHOLDER.finditer(text)}


def _parts(lang: str) -> list[Path]:
    folder = po_path(lang).parent / "parts"
    return sorted(folder.glob("*.po")) if folder.exists() else []


def merged(lang: str) -> Catalog:
    """The catalogue the code asks for now: every extracted message, with its translation from the .po or a part."""
    po = po_path(lang)
    known: dict[str, Any] = {}
    for path in ([po] if po.exists() else []) + _parts(lang):
        for m in _read(path):
            if m.id and m.string and (not isinstance(m.string, tuple) or all(m.string)):
                known[m.id if isinstance(m.id, str) else m.id[0]] = m.string
    cat = Catalog(locale=lang, domain=DOMAIN, project="boxoffice", charset="utf-8", fuzzy=False,
                  creation_date=_FIXED, revision_date=_FIXED)
    for msgid, (singular, plural, locations) in sorted(extract().items()):
        string = known.get(msgid, ("", "") if plural else "")
        cat.add((singular, plural) if plural else singular, string, locations=locations)
    return cat


def update(lang: str, *, keep_parts: bool = False) -> Catalog:
    """Rewrite ``lang``'s .po from the code and its translations (parts merged in and removed), and compile its
    .mo. ``keep_parts``: compile the .mo only, leaving the .po and the parts as they are."""
    cat = merged(lang)
    po = po_path(lang)
    po.parent.mkdir(parents=True, exist_ok=True)
    if not keep_parts:
        buf = io.BytesIO()
        write_po(buf, cat, width=120, sort_output=True, include_previous=False)
        po.write_bytes(buf.getvalue())
        for path in _parts(lang):
            path.unlink()
    mo_path(lang).write_bytes(_mo_bytes(cat))
    return cat


def _mo_bytes(cat: Catalog) -> bytes:
    buf = io.BytesIO()
    write_mo(buf, cat, use_fuzzy=False)
    return buf.getvalue()


def compile_mo(po: Path) -> bytes:
    """The .mo the program loads, compiled from ``po`` (the same bytes every time for the same .po)."""
    return _mo_bytes(_read(po))


def problems(lang: str) -> list[str]:
    """What is wrong with ``lang``'s catalogue, one line each; empty when it is complete and compiled."""
    mo = mo_path(lang)
    cat = merged(lang)
    out: list[str] = []
    translated = {}
    for m in cat:
        if not m.id:
            continue
        msgid = m.id if isinstance(m.id, str) else m.id[0]
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        if not all(strings):
            out.append(f"untranslated: {msgid!r}")
            continue
        want = placeholders(msgid)
        for s in strings:
            if placeholders(str(s)) != want:
                out.append(f"placeholders differ: {msgid!r} -> {s!r}")
        translated[msgid] = strings
    for msgid in extract():
        if msgid not in translated and f"untranslated: {msgid!r}" not in out:
            out.append(f"not in the catalogue: {msgid!r}")
    if not mo.exists() or mo.read_bytes() != _mo_bytes(cat):
        out.append(f"{mo}: not compiled from the .po (run python -m boxoffice.i18n.catalog update)")
    return out


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    langs = [lang for lang in LANGUAGES if lang != SOURCE_LANGUAGE]
    if command == "update":
        for lang in langs:
            cat = update(lang, keep_parts="--keep-parts" in argv)
            missing = sum(1 for m in cat if m.id and not m.string)
            print(f"{lang}: {len(cat)} messages, {missing} untranslated")
        return 0
    if command == "check":
        found = [f"{lang}: {p}" for lang in langs for p in problems(lang)]
        print("\n".join(found) if found else "catalogues complete")
        return 1 if found else 0
    print("usage: python -m boxoffice.i18n.catalog [update [--keep-parts] | check]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
