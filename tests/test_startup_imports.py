"""Start-up: a command imports what it uses and nothing else (benchmarks/README.md, "startup" and "sales").

Each process runs as a counter runs it, `python -X importtime -m boxoffice ...`, and the modules it imported are
read from that report: what an operator would measure, and what the start-up time is made of.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Never needed to sell at the window to a file printer: the central service and its web stack, the sync client,
# the wire schemas (only for a page the central service sends), PDF, YAML (escpos' printer database is read from
# its pickled copy) and the pure-Python QR encoder (zxing-cpp draws the QR). For a standing sale with no holders
# at an event without a per-customer cap: the seat search, the real-name ID rules and the customer keys.
NOT_FOR_A_SALE = ("boxoffice.central", "boxoffice.sync", "boxoffice.wire", "fastapi", "uvicorn", "httpx",
                  "starlette", "reportlab", "jsonschema", "jsonschema_rs", "pydantic", "sqlite_utils", "yaml",
                  "qrcode", "zxingcpp",  # zxing-cpp draws a QR only for a printer without the QR command
                  "boxoffice.domain.seating", "boxoffice.domain.holders", "boxoffice.domain.customer_ids")
# Never needed to find an order by its code: printing, signing, selling, and pydantic (Typer's conversion of
# whole numbers such as --limit; digits are converted without it, cli/coercion.py).
NOT_FOR_A_PICKUP_FIND = ("pydantic", "escpos", "PIL", "cryptography", "reportlab", "boxoffice.printing.escpos_render",
                         "boxoffice.printing.documents", "boxoffice.services.sales", "boxoffice.services.printing",
                         "boxoffice.central", "boxoffice.sync", "httpx", "yaml", "qrcode", "zxingcpp",
                         "boxoffice.domain.search_text",  # the name and phone search, for a code
                         "boxoffice.tickets",  # a query shorter than a token (services/pickup_find.py)
                         "boxoffice.services.pickup",  # the hand-out's module: the command imports pickup_find
                         "secrets", "zoneinfo",  # a new terminal's tag; a local time (no time is shown)
                         "boxoffice.services.checkpoints")  # after a journal entry: a find records none
# Never needed to show help: the configuration, the terminal's database and services, the printer library, JSON.
NOT_FOR_HELP = ("boxoffice.config", "boxoffice.services", "boxoffice.store", "boxoffice.printing", "boxoffice.tickets",
                "boxoffice.domain.card_numbers", "escpos", "cryptography", "tomllib", "pydantic", "json")

CATALOGUE = {
    "format": "boxoffice.catalog/1",
    "venue": {"id": "hall", "name": "Hall", "timezone": "Europe/London", "currency": "GBP"},
    "events": [{
        "id": "night", "name": "Night", "starts_at": "2031-05-01T19:30", "tax_rate": "20", "per_order_limit": 10,
        "sections": [{"id": "standing", "name": "Standing", "kind": "general", "capacity": 100}],
        "ticket_types": [{"id": "adult", "name": "Adult", "prices": {"standing": "22.50"}}],
    }],
}
SELL = ["sell", "night", "--section", "standing", "--type", "adult=2", "--card", "4242"]


def imported(args: list[str], env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run `python -X importtime -m boxoffice ARGS`; the process and the names of the modules it imported."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "boxoffice", *args], capture_output=True,
                          text=True, env=env, timeout=120, check=False)
    names = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines()
             if line.startswith("import time:") and "[us]" not in line}
    return done, names


def among(names: set[str], prefixes: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if any(n == p or n.startswith(p + ".") for p in prefixes))


@pytest.fixture
def counter(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """A terminal set up through the services, printing to a file; its config, the printer file and the
    environment its processes get (their own escpos cache directory, as the benchmark gives them)."""
    from boxoffice.config import load
    from boxoffice.services.catalog import import_catalog
    from boxoffice.services.operators import add_operator, login
    from boxoffice.services.terminal import init_terminal

    printer = tmp_path / "printer.bin"
    toml = tmp_path / "boxoffice.toml"
    toml.write_text(f'db = "terminal.db"\nprinter = "file://{printer}"\n', encoding="utf-8")
    ctx = init_terminal(load(str(toml)), "Counter")
    add_operator(ctx, "ada", "admin", "123456")
    login(ctx, "ada", "123456")
    import_catalog(ctx, CATALOGUE)
    ctx.close()
    env = dict(os.environ, ESCPOS_CAPABILITIES_PICKLE_DIR=str(tmp_path / "escpos-cache"))
    return toml, printer, env


def test_a_sale_to_a_file_printer_imports_no_web_pdf_yaml_or_sync_module(counter) -> None:  # noqa: ANN001
    toml, printer, env = counter
    imported(["--config", str(toml), *SELL], env)  # the first run leaves escpos' pickled printer database
    size = printer.stat().st_size
    done, names = imported(["--config", str(toml), *SELL], env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "SOLD" in done.stdout and f"Printed to file://{printer}" in done.stdout
    assert printer.stat().st_size > size  # two tickets with their QR and a receipt, written to the printer
    assert {"boxoffice.services.sales", "escpos.printer"} <= names  # the report is read right
    assert among(names, NOT_FOR_A_SALE) == []


def test_a_pickup_find_by_code_imports_no_printing_signing_or_pydantic(counter) -> None:  # noqa: ANN001
    toml, _printer, env = counter
    sold, _names = imported(["--config", str(toml), *SELL], env)
    code = sold.stdout.split()[1]  # "SOLD QH22-2236  2 ticket(s): ..."
    done, names = imported(["--config", str(toml), "pickup", "find", code.lower(), "--limit", "1", "--json"], env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert [r["code"] for r in json.loads(done.stdout)["results"]] == [code]
    assert "boxoffice.services.pickup_find" in names  # the report is read right
    assert among(names, NOT_FOR_A_PICKUP_FIND) == []


@pytest.mark.parametrize("limit", ["abc", "1.5", ""])
def test_a_whole_number_not_written_as_digits_is_refused_as_typer_refuses_it(counter, limit: str) -> None:  # noqa: ANN001
    """Digits skip pydantic; anything else still goes to Typer, with its message and status."""
    toml, _printer, env = counter
    done, _names = imported(["--config", str(toml), "pickup", "find", "smith", "--limit", limit], env)
    assert done.returncode == 2
    assert "Invalid value for '--limit'" in done.stderr and "valid integer" in done.stderr


def test_escpos_reads_its_printer_database_when_it_has_no_pickled_copy(counter) -> None:  # noqa: ANN001
    """With the YAML parser imported only when used, a first run (or one after escpos is upgraded) still works."""
    toml, printer, env = counter
    done, names = imported(["--config", str(toml), *SELL], env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"Printed to file://{printer}" in done.stdout
    assert among(names, ("yaml",))  # parsed here, once (its package imported by importlib, its parts reported)
    assert list((Path(env["ESCPOS_CAPABILITIES_PICKLE_DIR"])).glob("*.capabilities.pickle"))


@pytest.mark.parametrize("args", [["--help"], ["sell", "--help"]], ids=" ".join)
def test_help_imports_no_configuration_terminal_or_printer(args: list[str]) -> None:
    done, names = imported(args, dict(os.environ))
    assert done.returncode == 0, done.stderr[-2000:]
    assert "boxoffice.cli.main" in names
    assert among(names, NOT_FOR_HELP) == []


def test_a_module_put_off_is_imported_by_the_first_name_used_on_it(tmp_path: Path) -> None:
    """printing/deferred.py: what escpos does with yaml and qrcode still works, through the stand-ins."""
    code = """if True:
        import importlib.util, sys
        from boxoffice.printing.deferred import Deferred, defer
        defer("yaml", "qrcode", "no_such_module_here")
        import escpos.printer
        assert isinstance(sys.modules["yaml"], Deferred) and isinstance(sys.modules["qrcode"], Deferred)
        assert "no_such_module_here" not in sys.modules
        assert importlib.util.find_spec("yaml").name == "yaml"
        import yaml
        assert yaml.safe_load("a: [1, 2]") == {"a": [1, 2]}
        assert not isinstance(sys.modules["yaml"], Deferred)
        from qrcode.constants import ERROR_CORRECT_M
        import qrcode
        qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M)
        qr.add_data("X"); qr.make()
        from escpos.printer import Dummy
        printer = Dummy()
        printer.qr("hello", native=False)
        assert printer.output
        print("ok")
    """
    env = dict(os.environ, ESCPOS_CAPABILITIES_PICKLE_DIR=str(tmp_path))
    warm = subprocess.run([sys.executable, "-c", "import escpos.printer"], env=env, capture_output=True, timeout=120,
                          check=False)  # leaves the pickled printer database, as a terminal's first print does
    assert warm.returncode == 0, warm.stderr[-2000:]
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0 and done.stdout.splitlines()[-1:] == ["ok"], done.stderr[-2000:]


def test_a_query_shorter_than_a_token_is_read_as_the_token_module_reads_it() -> None:
    """services/pickup_find.py puts off importing the token module for a short query: by the same length."""
    from boxoffice.services.pickup_find import TOKEN_MIN_CHARS
    from boxoffice.tickets.token import TOKEN_MIN_CHARS as TOKENS_OWN
    from boxoffice.tickets.token import looks_like_token

    assert TOKEN_MIN_CHARS == TOKENS_OWN
    assert looks_like_token("x" * TOKEN_MIN_CHARS) and not looks_like_token("x" * (TOKEN_MIN_CHARS - 1))


def test_a_process_skips_the_garbage_collection_of_its_shutdown(counter) -> None:  # noqa: ANN001
    """cli/main.run freezes what is alive at exit (gc.freeze, the last exit handler), so the interpreter's shutdown
    does not walk it; the database is still closed as before (no write-ahead log left beside it)."""
    toml, printer, env = counter
    code = ("import atexit, gc, sys\n"
            "atexit.register(lambda: sys.stderr.write(f'frozen {gc.get_freeze_count()}\\n'))\n"
            "from boxoffice.cli.main import run\n"
            f"sys.argv = ['boxoffice', '--config', {str(toml)!r}, *{SELL!r}]\n"
            "run()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "SOLD" in done.stdout and f"Printed to file://{printer}" in done.stdout
    frozen = int(done.stderr.rsplit("frozen ", 1)[1].split()[0])
    assert frozen > 10_000  # every object alive at exit
    assert not list(toml.parent.glob("*.db-wal"))  # the connection was closed: SQLite removed its log


def test_a_family_named_with_one_of_its_commands_builds_only_that_one() -> None:
    """cli/lazy.py: `boxoffice pickup find ...` builds `find` alone; the family's help, a code for the default
    command and a mistyped command build them all, and the family itself is left whole."""
    from typer.testing import CliRunner

    from boxoffice.cli.lazy import build
    from boxoffice.cli.main import COMMANDS, app
    from boxoffice.cli.pickup import pickup_app

    assert list(build("pickup", COMMANDS["pickup"], "find").commands) == ["find"]
    whole = sorted(build("pickup", COMMANDS["pickup"], None).commands)
    assert whole == ["find", "give", "pay"]
    assert sorted(build("pickup", COMMANDS["pickup"], "WQ72-2248").commands) == whole
    assert sorted(build("pickup", COMMANDS["pickup"], "--help").commands) == whole
    assert len(pickup_app.registered_commands) == 3
    runner = CliRunner()
    for args in (["pickup", "find", "--help"], ["pickup", "give", "--help"], ["pickup", "--help"]):
        done = runner.invoke(app, args)
        assert done.exit_code == 0, done.output
    assert all(name in done.output for name in whole)  # the family's help still lists every command
