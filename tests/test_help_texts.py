"""Every command's --help, read as a newcomer reads it: no Python type names (`<list[str]>`, `<str>`), examples
one a line, and every example runs on a demo terminal (`boxoffice demo`, whose events are `gala` and `jazz`)
without a usage error (exit status 2). An example may still be refused for the demo's state (no such order: 3,
a conflict: 4, not permitted: 5...): what is checked is that it is typed right.

Examples that would serve forever, reach the network or need the central service's database are parsed (every
option and argument checked, as when run) but not run."""

from __future__ import annotations

import re
import shlex
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from boxoffice.cli.help_text import examples_apart
from boxoffice.cli.main import COMMANDS, app
from boxoffice.services.demo import run_demo

TYPE_NAME = re.compile(r"<[a-z_]+(?:\[[^\]>]*\])?>")
HEADING = re.compile(r"^\s*Examples?:\s*$")


def walk(command: Any, path: list[str], parent: Any = None) -> Iterator[tuple[list[str], Any, Any]]:
    ctx = command.context_class(command, info_name=path[-1], parent=parent)
    yield path, command, ctx
    if hasattr(command, "list_commands"):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                yield from walk(sub, [*path, name], ctx)


def help_pages() -> list[tuple[str, str]]:
    root = typer.main.get_command(app)
    return [(" ".join(path), command.get_help(ctx)) for path, command, ctx in walk(root, ["boxoffice"])]


PAGES = help_pages()


def examples_of(page: str) -> list[str]:
    """The lines under an "Example:" or "Examples:" heading that start with `boxoffice `."""
    out, inside = [], False
    for line in page.splitlines():
        if HEADING.match(line):
            inside = True
        elif inside and line.strip().startswith("boxoffice "):
            out.append(line.strip())
        elif not line.strip() or not line.startswith("    "):
            inside = False
    return out


EXAMPLES = [(name, example) for name, page in PAGES for example in examples_of(page)]


def test_every_command_is_walked() -> None:
    names = {name for name, _ in PAGES}
    assert {f"boxoffice {c}" for c in COMMANDS} <= names
    assert {"boxoffice refund", "boxoffice exchange", "boxoffice catalog export", "boxoffice central serve",
            "boxoffice central report pdf"} <= names


@pytest.mark.parametrize(("name", "page"), PAGES, ids=[name for name, _ in PAGES])
def test_no_type_names_and_one_example_a_line(name: str, page: str) -> None:
    assert not TYPE_NAME.findall(page), f"{name} --help shows type names: {sorted(set(TYPE_NAME.findall(page)))}"
    for example in examples_of(page):
        assert " boxoffice " not in example, f"{name} --help runs two examples together: {example}"
    prose = [line for line in page.splitlines() if "boxoffice " in line and "Example" in line]
    assert not prose, f"{name} --help has an example inside a sentence: {prose}"


def test_the_commands_most_asked_about_have_examples() -> None:
    pages = dict(PAGES)
    for name in ("boxoffice exchange", "boxoffice refund", "boxoffice sell", "boxoffice catalog export",
                 "boxoffice catalog import"):
        assert examples_of(pages[name]), name
    assert "credited in full" in pages["boxoffice exchange"]


def test_examples_are_set_apart_one_a_line() -> None:
    text = ("Does a thing. Example: boxoffice a --b\n    --c d\n\nMore prose.\n\nExamples:\n  boxoffice x\n"
            "  boxoffice y")
    assert examples_apart(text) == ("Does a thing.\n\n\b\nExample:\n  boxoffice a --b --c d\n\nMore prose.\n\n"
                                    "\b\nExamples:\n  boxoffice x\n  boxoffice y")
    assert examples_apart("No examples here.") == "No examples here."


# Parsed, not run: they serve until stopped, reach a network address, need the central service's database, or
# give back places only a central service grants (a demo terminal has none).
PARSE_ONLY = ("boxoffice central", "boxoffice sync enroll", "boxoffice sync --watch", "boxoffice counter",
              "boxoffice --db", "boxoffice allocation release", "boxoffice warm start")


def parse_only(argv: list[str]) -> int:
    """Parse a command line as the program would, down to its last sub-command, without running it: 0, or 2 for
    a usage error."""
    root = typer.main.get_command(app)
    try:
        ctx = root.make_context("boxoffice", list(argv))
        command = root
        while hasattr(command, "resolve_command"):
            rest = [*ctx._protected_args, *ctx.args]
            if not rest:
                break
            name, command, rest = command.resolve_command(ctx, rest)
            ctx = command.make_context(name, rest, parent=ctx)
    except typer.Exit as done:
        return done.exit_code
    except Exception as exc:  # click's UsageError, under Typer's own module
        if getattr(exc, "exit_code", None) == 2:
            return 2
        raise
    return 0


def command_line(example: str, directory: Path) -> tuple[list[str], str | None]:
    """The example's arguments (after `boxoffice`), with a `< file` made the input and a `> file` dropped."""
    words = shlex.split(example)[1:]
    argv, stdin = [], None
    i = 0
    while i < len(words):
        if words[i] in ("<", ">") and i + 1 < len(words):
            if words[i] == "<":
                path = directory / words[i + 1]
                stdin = path.read_text(encoding="utf-8") if path.exists() else ""
            i += 2
            continue
        argv.append(words[i])
        i += 1
    return argv, stdin


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`boxoffice demo` once, with the demo's admin logged in; each example runs on a fresh copy of it."""
    from conftest import T0, ManualClock

    from boxoffice.config import load
    from boxoffice.services.opening import open_terminal
    from boxoffice.services.operators import login

    directory = tmp_path_factory.mktemp("help-demo") / "demo"
    clock = ManualClock(T0)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(directory.parent)
        out = run_demo(directory, clock)
        assert out["event"] == "gala"
        ctx = open_terminal(load(out["config"]), clock)
        login(ctx, "admin", "123456")
        ctx.close()
    return directory


@pytest.mark.parametrize(("name", "example"), EXAMPLES, ids=[e for _, e in EXAMPLES])
def test_each_example_runs_on_a_demo_terminal(name: str, example: str, demo_template: Path, tmp_path: Path,
                                              cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    directory = tmp_path / "demo"
    shutil.copytree(demo_template, directory)
    monkeypatch.chdir(directory)
    argv, stdin = command_line(example, directory)
    if example.startswith(PARSE_ONLY):
        assert parse_only(argv) != 2, f"{name}: {example} is a usage error"
        return
    result = cli(*argv, env={"BOXOFFICE_CONFIG": str(directory / "boxoffice.toml"), "BOXOFFICE_PIN": "123456"},
                 input=stdin if stdin is not None else "")
    assert result.exit_code != 2, f"{name}: {example} exited 2:\n{result.output}"
