"""Examples in a command's help, one a line, as they are typed.

Help is written in docstrings as prose with its examples after "Example:" or "Examples:", sometimes at the end of
a sentence, sometimes wrapped over two lines. Click re-flows every paragraph, which runs the examples together into
one block of text. :func:`examples_apart` rewrites a help text so that the examples of each paragraph stand in a
paragraph of their own that Click leaves as it is (one starting with ``\\b``), one example a line, a wrapped example
joined back into one line. tests/test_help_texts.py runs each of them on a demo terminal.

The help is rewritten after it is translated (cli/lazy.py), so the headings of the translations count too
("示例："); example command lines stay as they are typed in every language.
"""

from __future__ import annotations

import re
from typing import Any

_HEADING = re.compile(r"\bExamples?:|示例[:：]|例如[:：]")
_PLURAL_HEADING = {"Example:": "Examples:"}  # a heading that says "one example" when several follow
PROMPT = "boxoffice "
NO_REWRAP = "\b"  # Click's mark for a paragraph to print as written


def _examples(text: str) -> tuple[list[str], list[str]]:
    """The example command lines in ``text`` (a wrapped one joined), and the lines of prose before the first."""
    examples: list[str] = []
    prose: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith(PROMPT):
            examples.append(stripped)
        elif examples:
            examples[-1] = f"{examples[-1]} {stripped}"
        else:
            prose.append(stripped)
    return examples, prose


def examples_apart(help_text: str) -> str:
    """The help with each paragraph's examples set apart, one a line (unchanged when it has none)."""
    out: list[str] = []
    for paragraph in re.split(r"\n\s*\n", help_text):
        found = _HEADING.search(paragraph)
        if found is None or paragraph.lstrip().startswith(NO_REWRAP):
            out.append(paragraph)
            continue
        examples, prose = _examples(paragraph[found.end():])
        if not examples:
            out.append(paragraph)
            continue
        before = paragraph[:found.start()].strip()
        if before:
            out.append(before)
        if prose:
            out.append(" ".join(prose))
        heading = found.group(0) if len(examples) == 1 else _PLURAL_HEADING.get(found.group(0), found.group(0))
        out.append("\n".join([NO_REWRAP, heading, *(f"  {example}" for example in examples)]))
    return "\n\n".join(out)


def set_examples_apart(command: Any) -> None:
    """Rewrite the help of a command and of every sub-command already built under it."""
    if isinstance(getattr(command, "help", None), str):
        command.help = examples_apart(command.help)
    for sub in getattr(command, "commands", {}).values():
        set_examples_apart(sub)
