"""`boxoffice demo`: a working terminal in one command, with a demo venue, operators, a sale and a printed ticket."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from boxoffice.config import load
from boxoffice.domain.clock import Clock, system_clock
from boxoffice.domain.tenders import Tender
from boxoffice.filemodes import private_dir, write_private
from boxoffice.services.catalog import import_catalog
from boxoffice.services.context import Ctx
from boxoffice.services.demo_catalog import demo_catalog
from boxoffice.services.opening import open_terminal
from boxoffice.services.operators import add_operator, login
from boxoffice.services.printing import run_jobs
from boxoffice.services.sales import SaleRequest, sell
from boxoffice.services.terminal import init_terminal

if TYPE_CHECKING:
    from boxoffice.services.printing import PrintResult

# Demo people and PINs (printed by the command; a real terminal sets its own).
DEMO_OPERATORS = [("admin", "admin", "123456"), ("sam", "seller", "1111"), ("sue", "supervisor", "222222"),
                  ("pat", "pickup", "3333"), ("dan", "door", "4444")]


def _setup(directory: Path, clock: Clock) -> Ctx:
    private_dir(directory)
    write_private(directory / "boxoffice.toml", (
        '# Demo terminal settings: see `boxoffice config show`.\n'
        'db = "terminal.db"\n'
        f'printer = "pdf://{(directory / "tickets").resolve()}"\n').encode())
    cfg = load(str(directory / "boxoffice.toml"))
    ctx = init_terminal(cfg, "Demo counter", clock, demo=True)
    for name, role, pin in DEMO_OPERATORS:
        if name != "admin":
            login(ctx, "admin", "123456")
        add_operator(ctx, name, role, pin)
    login(ctx, "admin", "123456")
    import_catalog(ctx, demo_catalog(clock().date(), short_ids=True))
    return ctx



class DemoResult(TypedDict):
    """The demo (:func:`run_demo`): where its terminal is, the sale it made, what printed, who can log in."""

    directory: str
    config: str
    db: str
    created: bool
    event: str
    event_name: str
    order: str
    seats: list[str]
    total: str
    change: str
    currency: str
    print: list[PrintResult]
    operators: list[dict[str, str]]


def run_demo(directory: Path, clock: Clock = system_clock) -> DemoResult:
    """Make (or reuse) the demo terminal in ``directory``, sell two adult stalls seats for cash, print to PDF."""
    directory = directory.resolve()
    config_file = directory / "boxoffice.toml"
    created = not (directory / "terminal.db").exists()
    ctx = _setup(directory, clock) if created else open_terminal(load(str(config_file)), clock)
    try:
        login(ctx, "sam", "1111")
        from boxoffice.store import catalog as catalog_store

        event = catalog_store.list_events(ctx.conn)[0]
        sale = sell(ctx, SaleRequest(event_id=event["id"], section_id="stalls", counts={"adult": 2},
                                     tenders=[Tender("cash", 10000)], customer_name="Demo Customer"))
        prints = run_jobs(ctx, sale["jobs"])
    finally:
        ctx.close()
    return {"directory": str(directory), "config": str(config_file), "db": str(directory / "terminal.db"),
            "created": created, "event": event["id"], "event_name": event["name"],
            "order": sale["order"]["code"], "seats": [f"{t['row']}{t['seat']}" for t in sale["tickets"]],
            "total": sale["total_text"], "change": sale["change_text"], "currency": sale["currency"],
            "print": prints, "operators": [{"name": n, "role": r, "pin": p} for n, r, p in DEMO_OPERATORS]}
