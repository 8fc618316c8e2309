"""The command line as a user meets it: help with an example everywhere, every command documented, refusals with
the documented exit status and JSON shape, no tracebacks, and the installed command run as a real process."""

from __future__ import annotations

import itertools
import json
import os
import re
import shlex
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import typer.main

from boxoffice.cli.main import app
from boxoffice.errors import EXIT_STATUSES
from boxoffice.services.demo_catalog import demo_catalog

REPO = Path(__file__).resolve().parent.parent


ROOT = typer.main.get_command(app)


def _command_tree() -> tuple[dict[tuple[str, ...], object], list[tuple[str, ...]]]:
    """({leaf command path: click command}, [group paths]) of the whole `boxoffice` tree."""
    leaves: dict[tuple[str, ...], object] = {}
    groups: list[tuple[str, ...]] = []

    def walk(cmd, path: tuple[str, ...]) -> None:  # noqa: ANN001
        if hasattr(cmd, "list_commands"):
            groups.append(path)
            for name in cmd.list_commands(None):
                sub = cmd.get_command(None, name)
                if not getattr(sub, "hidden", False):
                    walk(sub, (*path, name))
        else:
            leaves[path] = cmd

    walk(ROOT, ())
    return leaves, groups


COMMANDS, GROUPS = _command_tree()
LEAVES = list(COMMANDS)


def _reached(argv: list[str]) -> tuple[str, ...]:
    """The command path that `boxoffice ARGV` runs, resolved as the CLI itself resolves it (options skipped)."""
    ctx = ROOT.make_context("boxoffice", list(argv), resilient_parsing=True)
    cmd, path = ROOT, []
    while hasattr(cmd, "resolve_command"):
        rest = [*ctx._protected_args, *ctx.args]
        if not rest:
            break
        name, sub, rest = cmd.resolve_command(ctx, rest)
        if sub is None:
            break
        path.append(sub.name)
        ctx = sub.make_context(name, rest, parent=ctx, resilient_parsing=True)
        cmd = sub
    return tuple(path)


def _invocations(text: str) -> list[list[str]]:
    """Every `boxoffice ...` written in a text, as argument lists (up to a backtick, pipe, redirection or wide gap)."""
    out = []
    for line in text.splitlines():
        for chunk in re.split(r"\s{3,}|`", line):
            i = chunk.find("boxoffice ")
            if i < 0:
                continue
            snippet = chunk[i + len("boxoffice "):].split(" | ")[0]
            try:
                words = shlex.split(snippet)
            except ValueError:
                words = snippet.split()
            words = list(itertools.takewhile(lambda w: w not in {">", ">>", "|", "&&", "#"}, words))
            if words:
                out.append(words)
    return out


def _reaches(text: str) -> set[tuple[str, ...]]:
    found = set()
    for argv in _invocations(text):
        try:
            found.add(_reached(argv))
        except Exception:  # noqa: BLE001 - prose that only looks like a command
            continue
    return found


def test_the_tree_has_the_foundation_commands() -> None:
    for path in [("init",), ("config", "show"), ("catalog", "import"), ("event", "list"), ("event", "show"),
                 ("event", "seats"), ("operator", "add"), ("operator", "list"), ("operator", "disable"),
                 ("operator", "enable"), ("login",), ("logout",), ("whoami",)]:
        assert path in LEAVES


def test_examples_are_resolved_as_the_cli_resolves_them() -> None:
    assert _reached(["--db", "/srv/c1.db", "init", "--name", "Counter 1"]) == ("init",)
    assert _reached(["event", "seats", "gala", "--section", "stalls"]) == ("event", "seats")
    assert _invocations('Examples:\n  boxoffice event list --json   boxoffice event show "a b" > x.json') == [
        ["event", "list", "--json"], ["event", "show", "a b"]]


@pytest.mark.parametrize("path", LEAVES, ids=[" ".join(p) for p in LEAVES])
def test_every_command_has_help_with_an_example(cli, path: tuple[str, ...]) -> None:  # noqa: ANN001
    result = cli(*path, "--help", env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    marker = re.search(r"Examples?:", result.stdout)
    assert marker, f"`boxoffice {' '.join(path)} --help` shows no Example:"
    summary = result.stdout.split("\n\n")[1].strip() if "\n\n" in result.stdout else ""
    assert len(summary) > 10, "no description above the example"
    doc = COMMANDS[path].help or ""
    examples = doc[re.search(r"Examples?:", doc).end():]
    reached = _reaches(examples)
    assert path in reached, f"no example in `{' '.join(path)} --help` runs that command (they run {reached})"


@pytest.mark.parametrize("path", GROUPS, ids=[" ".join(p) or "boxoffice" for p in GROUPS])
def test_every_group_has_help_listing_its_commands(cli, path: tuple[str, ...]) -> None:  # noqa: ANN001
    result = cli(*path, "--help", env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "Commands" in result.stdout
    description = result.stdout.split("\n\n")[1].strip()
    assert len(description) > 10
    bare = cli(*path)  # a group with nothing after it shows its help rather than doing anything
    assert "Usage:" in bare.output


@pytest.mark.parametrize("group", [(), ("central",)], ids=["boxoffice", "central"])
def test_the_command_list_reads_the_same_before_and_after_commands_are_built(group: tuple[str, ...]) -> None:
    root = typer.main.get_command(app)  # a fresh root: commands are built on first use
    ctx = root.make_context("boxoffice", [], resilient_parsing=True, terminal_width=200)
    cmd = root
    for name in group:
        cmd = cmd.get_command(ctx, name)
        ctx = cmd.make_context(name, [], parent=ctx, resilient_parsing=True)

    def listing() -> str:
        return cmd.get_help(ctx)

    names = cmd.list_commands(ctx)
    assert len(names) > 10 and not cmd.commands
    before = listing()
    assert not cmd.commands  # --help built nothing: the listing comes from the table in cli/main.py
    built = {name: cmd.get_command(ctx, name) for name in names}
    assert all(getattr(c, "name", None) == name for name, c in built.items())
    assert listing() == before  # each table text says what the command's own help says
    for name in names:
        assert re.search(rf"^  {re.escape(name)}\s+\S", before, re.M), name


def test_the_command_list_imports_no_command_module() -> None:
    """`boxoffice --help` (and so start-up) loads the table, not the modules the commands live in."""
    code = ("import sys\nfrom boxoffice.cli.main import run\nsys.argv = ['boxoffice', '--help']\n"
            "try:\n    run()\nexcept SystemExit:\n    pass\n"
            "print(' '.join(sorted(m for m in sys.modules if m.startswith('boxoffice.cli.'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(done.stdout.strip().splitlines()[-1].split())
    assert "Commands:" in done.stdout
    assert loaded <= {"boxoffice.cli.app", "boxoffice.cli.coercion", "boxoffice.cli.common", "boxoffice.cli.lazy",
                      "boxoffice.cli.main"}, loaded


def _documented(path: tuple[str, ...], text: str, reached: set[tuple[str, ...]]) -> bool:
    """Run by some `boxoffice ...` in the text, or named in a table row like "`boxoffice operator add` / `list`"."""
    if path in reached:
        return True
    parent, name = path[:-1], path[-1]
    for line in text.splitlines():
        if f"`{name}`" not in line or "`boxoffice " not in line:
            continue
        named = _reaches(line.replace("`", ""))
        if not parent or parent in named or any(p[: len(parent)] == parent for p in named):
            return True
    return False


def test_every_command_is_in_the_readme_or_docs() -> None:
    sources = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    text = "\n".join(p.read_text(encoding="utf-8") for p in sources if p.exists())
    assert text, "no README.md or docs/*.md yet"
    reached = _reaches(text)
    missing = [" ".join(p) for p in LEAVES if not _documented(p, text, reached)]
    assert not missing, f"commands not in README.md or docs/*.md: {', '.join(missing)}"


def test_the_exit_status_table_in_the_readme_matches_the_code() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Exit statuses", 1)[1].split("\n## ", 1)[0]
    documented: dict[str, int] = {}
    for line in section.splitlines():
        m = re.match(r"\|\s*(\d+)\s*\|", line)
        if m:
            for code in re.findall(r"`([a-z_]+)`", line):
                documented[code] = int(m.group(1))
    assert len(documented) >= 20
    wrong = {c: (s, EXIT_STATUSES.get(c, (None,))[0]) for c, s in documented.items()
             if EXIT_STATUSES.get(c, (None,))[0] != s}
    assert not wrong, f"README status != code's status: {wrong}"


def test_not_found_exits_3_invalid_document_2_permission_denied_5(terminal, cli, write_json, login) -> None:  # noqa: ANN001
    missing = cli("event", "show", "no-such-event", db=terminal)
    assert missing.exit_code == 3
    assert missing.stderr.startswith("error: no event 'no-such-event'")
    assert missing.stdout == ""

    bad = cli("catalog", "import", write_json({"format": "boxoffice.catalog/1"}), db=terminal)
    assert bad.exit_code == 2
    assert "invalid" in bad.stderr or "error(s)" in bad.stderr

    login(terminal, "sam")
    denied = cli("operator", "add", "eve", "--role", "seller", db=terminal, pin="5555")
    assert denied.exit_code == 5
    assert "admin" in denied.stderr

    assert cli("event", "list", db=terminal.config.db_path.parent / "nothing-here.db").exit_code == 3


@pytest.mark.parametrize("args", [
    ("event", "show", "no-such-event", "--json"),
    ("catalog", "import", "missing.json", "--json"),
    ("operator", "add", "eve", "--role", "seller", "--json"),
    ("login", "ada", "--json"),
    ("operator", "disable", "nobody", "--json"),
])
def test_json_errors_have_code_and_message_and_the_documented_status(terminal, cli, login, args) -> None:  # noqa: ANN001
    login(terminal, "sue")  # a supervisor: may not add or disable operators
    result = cli(*args, db=terminal, pin="0000")
    body = json.loads(result.stdout)
    assert set(body) == {"error"}
    assert {"code", "message"} <= set(body["error"]) <= {"code", "message", "details"}
    code = body["error"]["code"]
    assert code in EXIT_STATUSES
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert "\n" not in body["error"]["message"]
    assert result.exit_code == EXIT_STATUSES[code][0]
    assert result.stderr == ""


BAD_INPUTS = [
    ("event", "show"),                                      # missing argument
    ("evnt", "list"),                                       # no such command
    ("event", "list", "--jsn"),                             # no such option
    ("event", "show", "'; DROP TABLE events; --"),
    ("event", "show", "../../../etc/passwd"),
    ("event", "show", "ünïcødé-☃-" + "x" * 5000),
    ("event", "seats", "{gala}", "--section", "nowhere"),
    ("catalog", "import", "{missing}"),
    ("catalog", "import", "{directory}"),
    ("catalog", "import", "{binary}"),
    ("catalog", "import", "{list}"),
    ("catalog", "import", "{deep}"),
    ("operator", "add", "eve", "--role", "wizard"),
    ("operator", "add", "", "--role", "seller"),
    ("login", "ada"),                                       # no PIN at all: the prompt meets end of input
    ("--db", "{directory}", "event", "list"),
    ("--config", "{binary}", "event", "list"),
]


@pytest.mark.parametrize("args", BAD_INPUTS, ids=[" ".join(a)[:40] for a in BAD_INPUTS])
def test_bad_input_never_shows_a_traceback(terminal, cli, tmp_path: Path, demo_events, args) -> None:  # noqa: ANN001
    files = {
        "missing": tmp_path / "missing.json",
        "directory": tmp_path,
        "binary": tmp_path / "photo.png",
        "list": tmp_path / "list.json",
        "deep": tmp_path / "deep.json",
        "gala": demo_events[0],
    }
    files["binary"].write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    files["list"].write_text("[1, 2, 3]", encoding="utf-8")
    files["deep"].write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    argv = [a.format(**files) if a.startswith("{") else a for a in args]
    before = list(terminal.conn.iterdump())
    result = cli(*argv, db=terminal, input="")
    assert result.exit_code not in (0, 70), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.stderr.strip(), "a refusal says why"
    assert list(terminal.conn.iterdump()) == before


def test_a_bad_fixed_clock_is_bad_input(terminal, cli) -> None:  # noqa: ANN001
    result = cli("whoami", db=terminal, now="next tuesday")
    assert result.exit_code == 2
    assert "BOXOFFICE_NOW" in result.stderr


def test_the_root_help_lists_the_exit_statuses(cli) -> None:  # noqa: ANN001
    text = cli("--help", env={"COLUMNS": "200"}).stdout
    for status in ("2 bad input", "3 not found", "5 not permitted", "9 database"):
        assert status in text


# A real process, as at a counter: the installed script and `python -m boxoffice`.

def _script() -> Path:
    script = Path(sys.executable).parent / "boxoffice"
    if not script.exists():
        pytest.skip("the boxoffice script is not installed beside this python")
    return script


def _run(argv: list[str], pin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if pin:
        env["BOXOFFICE_PIN"] = pin
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60, check=False)


def test_a_counter_set_up_by_real_processes(tmp_path: Path) -> None:
    script = str(_script())
    db = tmp_path / "counter" / "terminal.db"
    made = _run([script, "--db", str(db), "init", "--name", "Counter 2", "--json"])
    assert made.returncode == 0, made.stderr
    info = json.loads(made.stdout)
    assert info["name"] == "Counter 2" and Path(info["db"]) == db
    assert stat.S_IMODE(Path(info["key_file"]).stat().st_mode) == 0o600

    added = _run([script, "--db", str(db), "operator", "add", "Ada", "--role", "admin"], pin="246810")
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "Added Ada (admin)."
    assert _run([script, "--db", str(db), "login", "ada"], pin="246810").returncode == 0

    doc = tmp_path / "venue.json"
    doc.write_text(json.dumps(demo_catalog(date.today())), encoding="utf-8")
    imported = _run([script, "--db", str(db), "catalog", "import", str(doc), "--json"])
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["created"] == 2

    listed = _run([script, "--db", str(db), "event", "list", "--json"])
    assert listed.returncode == 0, listed.stderr
    events = json.loads(listed.stdout)
    assert [(e["name"], e["capacity"], e["sold"]) for e in events] == [("Winter Gala", 788, 0),
                                                                       ("Late Night Jazz", 788, 0)]

    as_module = _run([sys.executable, "-m", "boxoffice", "--db", str(db), "event", "show", events[0]["id"], "--json"])
    assert as_module.returncode == 0, as_module.stderr
    assert json.loads(as_module.stdout)["sections"][1]["capacity"] == 300

    refused = _run([sys.executable, "-m", "boxoffice", "--db", str(db), "event", "show", "nope", "--json"])
    assert refused.returncode == 3
    assert json.loads(refused.stdout)["error"]["code"] == "not_found"
    assert refused.stderr == ""
