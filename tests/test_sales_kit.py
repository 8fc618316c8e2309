"""Shared set-up for the walk-up sales tests: a test venue, a ready terminal, the CLI, printers on loopback.

Not a test module of its own (it holds no tests); the other tests/test_sales_*.py files import from it.

A terminal is built once per test session (init, operators, catalogue: the scrypt PIN hashes are the slow
part) and copied into each test's own directory, so every test starts from the same clean counter with a
seller logged in.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import socket
import socketserver
import sqlite3
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pypdfium2
import zxingcpp
from PIL import Image
from typer.testing import CliRunner, Result

from boxoffice.cli.main import app

PINS = {"admin": "123456", "sam": "1111", "sue": "222222", "pat": "3333", "dan": "4444"}
ROLES = {"admin": "admin", "sam": "seller", "sue": "supervisor", "pat": "pickup", "dan": "door"}
EVENT = "spring-gala"

# Rows of the "awkward" section, front (row K) to back; seat labels are unique across the venue.
AWKWARD_ROWS = [
    {"row": "K", "seats": "1-8", "aisles_after": ["4"]},    # an aisle between K4 and K5
    {"row": "L", "seats": "1-10"},                          # L4-L6 held: they split the row
    {"row": "M", "seats": "1-6"},                           # wheelchair spaces and companions
]


def catalogue() -> dict[str, Any]:
    """The test venue: a reserved stalls, an awkward little section, standing, and two one-place sections."""
    stalls_rows = [{"row": r, "seats": "1-12", "aisles_after": ["6"]} for r in "ABCDE"]
    sections = [
        {"id": "stalls", "name": "Stalls", "kind": "reserved", "rows": stalls_rows,
         "held": ["A1"], "wheelchair": ["E1", "E12"], "companion": ["E2", "E11"]},
        {"id": "awkward", "name": "Side Balcony", "kind": "reserved", "rows": AWKWARD_ROWS,
         "held": ["L4", "L5", "L6"], "wheelchair": ["M1", "M6"], "companion": ["M2", "M5"]},
        {"id": "standing", "name": "Standing", "kind": "general", "capacity": 40},
        {"id": "last-place", "name": "Last Place", "kind": "general", "capacity": 1},
        {"id": "last-seat", "name": "Last Seat", "kind": "reserved", "rows": [{"row": "Z", "seats": "1-1"}]},
    ]
    everywhere = [s["id"] for s in sections]
    types = [
        {"id": "adult", "name": "Adult", "prices": {**dict.fromkeys(everywhere, "35.00"), "standing": "20.00"}},
        {"id": "child", "name": "Child", "prices": dict.fromkeys(everywhere, "12.50"), "per_order_limit": 2},
        {"id": "comp", "name": "Guest", "prices": dict.fromkeys(everywhere, "0"), "comp": True},
    ]
    event = {"id": EVENT, "name": "Spring Gala", "starts_at": "2031-04-12T20:00", "doors_at": "2031-04-12T19:00",
             "tax_rate": "20", "per_order_limit": 6, "sections": sections, "ticket_types": types}
    return {"format": "boxoffice.catalog/1",
            "venue": {"id": "test-hall", "name": "Test Hall", "timezone": "Europe/Berlin", "currency": "EUR"},
            "events": [event]}


def _build_terminal(directory: Path) -> None:
    """A terminal with every operator, the test catalogue, and the seller sam logged in."""
    from boxoffice.config import load
    from boxoffice.services.catalog import import_catalog
    from boxoffice.services.operators import add_operator, login
    from boxoffice.services.terminal import init_terminal

    toml = directory / "boxoffice.toml"
    toml.write_text('db = "terminal.db"\n', encoding="utf-8")
    ctx = init_terminal(load(str(toml)), "Counter 1")
    try:
        add_operator(ctx, "admin", "admin", PINS["admin"])
        login(ctx, "admin", PINS["admin"])
        for name, role in ROLES.items():
            if name != "admin":
                add_operator(ctx, name, role, PINS[name])
        import_catalog(ctx, catalogue())
        login(ctx, "sam", PINS["sam"])
    finally:
        ctx.close()


_TEMPLATE: Path | None = None


def _template() -> Path:
    global _TEMPLATE
    if _TEMPLATE is None:
        root = Path(tempfile.mkdtemp(prefix="boxoffice-sales-template-"))
        atexit.register(shutil.rmtree, root, True)
        _build_terminal(root)
        _TEMPLATE = root
    return _TEMPLATE


@dataclass
class Counter:
    """One terminal in a test's directory, driven through the CLI (in process) or the services."""

    dir: Path

    @property
    def db(self) -> Path:
        return self.dir / "terminal.db"

    @property
    def config(self) -> Path:
        return self.dir / "boxoffice.toml"

    @property
    def tickets_dir(self) -> Path:
        return self.dir / "tickets"

    def set_printer(self, uri: str | None, profile: str | None = None, drawer: bool | None = None,
                    qr: str | None = None) -> None:
        lines = ['db = "terminal.db"']
        if uri:
            lines.append(f'printer = "{uri}"')
        if profile:
            lines.append(f'printer_profile = "{profile}"')
        if qr:
            lines.append(f'printer_qr = "{qr}"')
        if drawer is not None:
            lines.append(f"drawer_on_cash = {'true' if drawer else 'false'}")
        self.config.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def cli(self, *args: str, pin: str | None = None, env: dict[str, str] | None = None) -> Result:
        """Run `boxoffice --db DB --config TOML ARGS` in this process and return the result."""
        full_env = {"BOXOFFICE_PIN": pin or "", "BOXOFFICE_PRINTER": "", "BOXOFFICE_DB": "",
                    "BOXOFFICE_CONFIG": "", "BOXOFFICE_NOW": "", "BOXOFFICE_DEBUG": ""}
        full_env.update(env or {})
        return CliRunner().invoke(app, ["--db", str(self.db), "--config", str(self.config), *args],
                                  env=full_env, catch_exceptions=False)

    def cli_json(self, *args: str, pin: str | None = None, env: dict[str, str] | None = None,
                 status: int = 0) -> Any:
        """Run a command with --json, check its exit status and return the parsed output."""
        result = self.cli(*args, "--json", pin=pin, env=env)
        assert result.exit_code == status, (result.exit_code, result.stdout, result.stderr)
        return json.loads(result.stdout)

    def sell(self, *args: str, status: int = 0, **kw: Any) -> Any:
        return self.cli_json("sell", EVENT, *args, status=status, **kw)

    def login(self, name: str) -> None:
        result = self.cli("login", name, pin=PINS[name])
        assert result.exit_code == 0, result.output

    @contextlib.contextmanager
    def services(self) -> Iterator[Any]:
        """The terminal opened for service calls (a Ctx), closed after."""
        from boxoffice.config import load
        from boxoffice.services.opening import open_terminal

        ctx = open_terminal(load(str(self.config), str(self.db)))
        try:
            yield ctx
        finally:
            ctx.close()

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        conn = sqlite3.connect(self.db)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()


def make_counter(directory: Path, printer: str | None = None) -> Counter:
    """A fresh copy of the template terminal in ``directory`` (seller sam logged in)."""
    template = _template()
    directory.mkdir(parents=True, exist_ok=True)
    for name in ("terminal.db", "terminal.key", "terminal.db.session-key"):  # the login is sealed with the last
        shutil.copy2(template / name, directory / name)
    counter = Counter(directory)
    counter.set_printer(printer or f"pdf://{counter.tickets_dir}")
    return counter


def new_terminal(directory: Path) -> Counter:
    """A terminal of its own (its own id and signing key), not a copy of the template."""
    directory.mkdir(parents=True, exist_ok=True)
    _build_terminal(directory)
    counter = Counter(directory)
    counter.set_printer(f"pdf://{counter.tickets_dir}")
    return counter


# --------------------------------------------------------------------------------------------------------
# Printers


class TcpPrinter:
    """A network receipt printer on 127.0.0.1: accepts raw connections and keeps each job's bytes.

    ``port`` 0 takes any free port; a given port is bound again even if it was used a moment ago.
    """

    def __init__(self, port: int = 0) -> None:
        self.jobs: list[bytes] = []
        self._cond = threading.Condition()
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                chunks = []
                while chunk := self.request.recv(65536):
                    chunks.append(chunk)
                with outer._cond:
                    outer.jobs.append(b"".join(chunks))
                    outer._cond.notify_all()

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.server = Server(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def uri(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    @property
    def data(self) -> bytes:
        with self._cond:
            return b"".join(self.jobs)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[bytes]:
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.jobs) >= count, timeout):
                raise AssertionError(f"the printer received {len(self.jobs)} job(s), expected {count}")
            return list(self.jobs)

    def __enter__(self) -> TcpPrinter:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def closed_port() -> int:
    """A loopback port with nothing listening on it (bound for a moment to pick it, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------------------------------------
# Reading printed output back


def scan(image: Image.Image) -> list[str]:
    """Every QR code text zxing-cpp finds in an image."""
    return [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]


def escpos_pieces(data: bytes, profile: str = "TM-T88V") -> tuple[Any, list[dict[str, Any]]]:
    """Decode ESC/POS bytes; return the decoded stream and, per piece of paper, its text and scanned QRs.

    ``qrs`` are scanned from what is on the paper: printed images, and the printer's own QR codes drawn as the
    printer would (escpos_decode.qr_image); ``native`` lists the latter's commands (data, model, size, EC).
    """
    from escpos_decode import decode, scan_all

    decoded = decode(data, profile)
    pieces = []
    for piece in decoded.pieces():
        text = "\n".join(e[1].text for e in piece if e[0] == "text")
        native = [decoded.native_qrs[e[1]] for e in piece if e[0] == "qr"]
        pieces.append({"text": text, "qrs": scan_all(decoded, piece), "native": native,
                       "cut": piece[-1][0] == "cut"})
    return decoded, pieces


def pdf_pages(path: Path, scale: float = 3.0) -> list[dict[str, Any]]:
    """Each page of a PDF: its text (pypdfium2's extraction), the page rendered to pixels, and its QRs."""
    pdf = pypdfium2.PdfDocument(str(path))
    try:
        pages = []
        for page in pdf:
            textpage = page.get_textpage()
            text = textpage.get_text_range()
            image = page.render(scale=scale).to_pil().convert("L")
            pages.append({"text": text, "image": image, "qrs": scan(image)})
            textpage.close()
            page.close()
        return pages
    finally:
        pdf.close()


# --------------------------------------------------------------------------------------------------------
# Subprocesses


def boxoffice_command() -> list[str]:
    """How to run the installed `boxoffice` command as its own process."""
    script = Path(sys.executable).with_name("boxoffice")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from boxoffice.cli.main import run; run()"]


def subprocess_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOXOFFICE_")}
    env.update(extra)
    return env


def check_database(db: Path) -> None:
    """The database is whole, nothing is oversold and every order is complete."""
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        for section, kind, capacity, sold in conn.execute("SELECT id, kind, capacity, sold FROM sections"):
            tickets = conn.execute("SELECT count(*) FROM tickets WHERE section_id = ?", (section,)).fetchone()[0]
            assert tickets <= capacity, section
            if kind == "general":
                assert sold == tickets, section
            else:
                seats_sold = conn.execute("SELECT count(*) FROM seats WHERE section_id = ? AND status = 'sold'",
                                          (section,)).fetchone()[0]
                assert seats_sold == tickets, section
        assert conn.execute("SELECT count(*) FROM tickets t JOIN seats s ON s.ticket_id = t.id"
                            " WHERE s.label <> t.row || t.seat").fetchone()[0] == 0
        sale_entries = {json.loads(p)["order"]["id"] for (p,) in conn.execute(
            "SELECT payload FROM journal WHERE kind = 'sale'")}
        for order_id, total in conn.execute("SELECT id, total FROM orders"):
            tickets = conn.execute("SELECT count(*) FROM tickets WHERE order_id = ?", (order_id,)).fetchone()[0]
            paid = conn.execute("SELECT coalesce(sum(amount), 0), count(*) FROM payments WHERE order_id = ?",
                                (order_id,)).fetchone()
            jobs = conn.execute("SELECT count(*) FROM print_jobs WHERE order_id = ?", (order_id,)).fetchone()[0]
            assert tickets > 0 and paid == (total, paid[1]) and paid[1] > 0 and jobs == 1, order_id
            assert order_id in sale_entries, f"order {order_id} has no journal entry"
        assert len(sale_entries) == conn.execute("SELECT count(*) FROM orders").fetchone()[0]
    finally:
        conn.close()
