"""Printing as jobs in the database: queued with the sale, sent after it commits, retried until printed.

A job names what to print (an order's tickets, its receipt, a copy); the layout is rebuilt from the database each
time, so a retry after a fix prints exactly what the first attempt would have. A printer that is off leaves the
job failed with the reason, for `boxoffice print retry`.

Paper speaks the venue's language (``[venue] language``, Config.venue_language), whatever the screen speaks: every
view and layout is made inside ``use_language(venue_language)``, money and times included.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict, cast

from boxoffice.domain.clock import when_text
from boxoffice.domain.ids import uuid7
from boxoffice.domain.money import format_money
from boxoffice.domain.seat_notes import words
from boxoffice.domain.tenders import TENDER_LABELS
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _, use_language
from boxoffice.printing import documents
from boxoffice.printing.documents import ReceiptView, TicketView
from boxoffice.printing.uri import parse_printer_uri
from boxoffice.services.context import Ctx
from boxoffice.services.holders import shown_holder
from boxoffice.services.place_flags import ticket_flags
from boxoffice.store import catalog as catalog_store
from boxoffice.store import operators as operator_store
from boxoffice.store import orders as order_store
from boxoffice.store import print_jobs as store
from boxoffice.store.db import write

if TYPE_CHECKING:
    from boxoffice.printing.pdf_render import Stock


class PrintResult(TypedDict):
    """One job's outcome (:func:`run_jobs`): printed (``to`` where, or a ``note``: printed already) or failed, with
    the ``error`` said and its ``code``."""

    job: str
    status: str
    to: NotRequired[str]
    note: NotRequired[str]
    error: NotRequired[str]
    code: NotRequired[str]


class PrintJob(TypedDict):
    """A print job as ``print jobs`` lists it (:func:`list_jobs`)."""

    id: str
    created_at: str
    kind: str
    order_id: str | None
    printer_uri: str
    status: str
    attempts: int
    last_error: str | None
    printed_at: str | None



def printer_uri(ctx: Ctx) -> str:
    """The configured printer, or PDF files in a tickets/ folder beside the database."""
    if ctx.config.printer:
        return str(ctx.config.printer)
    return f"pdf://{(ctx.config.db_path.parent / 'tickets').resolve()}"


def queue_order(ctx: Ctx, order_id: str, *, receipt: bool = True, drawer: bool = False, copy: bool = False,
                ticket_ids: list[str] | None = None) -> list[str]:
    """Add the jobs for an order (tickets, then the receipt) inside the caller's transaction."""
    uri = printer_uri(ctx)
    tickets = ticket_ids if ticket_ids is not None else [t["id"] for t in order_store.tickets_of(ctx.conn, order_id)]
    doc = {"order_id": order_id, "tickets": tickets, "receipt": receipt,
           "drawer": bool(drawer and ctx.config.drawer_on_cash), "copy": copy}
    job_id = uuid7()
    store.add(ctx.conn, {"id": job_id, "created_at": ctx.now_iso(), "kind": "order", "order_id": order_id,
                         "printer_uri": uri, "profile": ctx.config.printer_profile, "document": json.dumps(doc)})
    return [job_id]


def queue_layout(ctx: Ctx, kind: str, blocks: list[Any], *, name: str, order_id: str | None = None) -> str:
    """Queue a finished layout (a refund receipt, a shift report, a drawer kick) in the caller's transaction.

    What these show is fixed once their action commits, so the blocks themselves are the job's document.
    """
    from dataclasses import asdict

    job_id = uuid7()
    doc = {"name": name, "blocks": [{"block": type(b).__name__, **asdict(b)} for b in blocks]}
    store.add(ctx.conn, {"id": job_id, "created_at": ctx.now_iso(), "kind": kind, "order_id": order_id,
                         "printer_uri": printer_uri(ctx), "profile": ctx.config.printer_profile,
                         "document": json.dumps(doc, ensure_ascii=False)})
    return job_id


def _stored_layout(doc: dict[str, Any]) -> list[Any]:
    from boxoffice.printing import layout as lay

    kinds = {c.__name__: c for c in (lay.Text, lay.Columns, lay.QR, lay.Rule, lay.Feed, lay.Cut, lay.DrawerKick)}
    return [kinds[b.pop("block")](**b) for b in (dict(x) for x in doc["blocks"])]


def queue_test(ctx: Ctx) -> str:
    """A test page: venue, printer, a sample QR, so staff can check paper, cutter and scanner."""
    job_id = uuid7()
    with write(ctx.conn):
        store.add(ctx.conn, {"id": job_id, "created_at": ctx.now_iso(), "kind": "test", "order_id": None,
                             "printer_uri": printer_uri(ctx), "profile": ctx.config.printer_profile,
                             "document": json.dumps({"test": True})})
    return job_id


@dataclass(frozen=True)
class _OrderFacts:
    """What both an order's tickets and its receipt print, read once per job: its event, the venue's name, its
    tickets, their seats' flags and holders, and who sold it (one query each; a seated section's flags read all its
    seats; the venue and the operator come with the order where the job read it: store.order_for_print)."""

    event: dict | None
    venue: str
    tickets: list[dict]
    flags: dict[str, list[str]]
    holders: dict[str, dict]
    operator: str | None


_UNREAD = object()  # _order_facts: a name not read with the order, read on its own


def _order_facts(ctx: Ctx, order: dict, venue: Any = _UNREAD, operator: Any = _UNREAD) -> _OrderFacts:
    tickets = order_store.tickets_of(ctx.conn, order["id"])
    if ctx.config.venue_name:
        venue = ctx.config.venue_name
    elif venue is _UNREAD:
        venue = (catalog_store.venue(ctx.conn) or {}).get("name", "")
    if operator is _UNREAD:
        op = operator_store.by_id(ctx.conn, order["operator_id"]) if order["operator_id"] else None
        operator = op["name"] if op else None
    return _OrderFacts(event=catalog_store.get_event(ctx.conn, order["event_id"]), venue=venue, tickets=tickets,
                       flags=ticket_flags(ctx, tickets), holders=store.holders_of(ctx.conn, order["id"]),
                       operator=operator)


def _ticket_views(ctx: Ctx, order: dict, ticket_ids: list[str], copy: bool,
                  facts: _OrderFacts | None = None) -> list[Any]:
    facts = facts or _order_facts(ctx, order)
    ev = facts.event
    starts_at = when_text(ev["starts_at"], ev["timezone"], year=True) if ev else ""
    wanted = set(ticket_ids)
    tickets = [t for t in facts.tickets if t["id"] in wanted]
    views = []
    for t in tickets:
        views.append(TicketView(
            venue=facts.venue, event_name=ev["name"] if ev else order["event_id"], starts_at=starts_at,
            section=t["section_name"] or t["section_id"], row=t["row"], seat=t["seat"],
            ticket_type=t["type_name"] or t["ticket_type_id"], price=format_money(t["price"], order["currency"]),
            order_code=order["code"], token=t["token"], copy=copy,
            holder=_holder_line(facts.holders.get(t["id"])),
            notes=tuple(words(facts.flags[t["id"]])), language=ctx.config.venue_language))
    return views


def _holder_line(row: dict | None) -> str | None:
    """A real-name ticket's holder as printed on it: the name and the masked ID, as the door shows them."""
    return shown_holder(row)["line"] if row is not None else None


def receipt_view(ctx: Ctx, order: dict, copy: bool = False, facts: _OrderFacts | None = None) -> Any:
    """The receipt of an order: lines by ticket type, total, tax share, tenders, change."""
    cur = order["currency"]
    facts = facts or _order_facts(ctx, order)
    ev = facts.event
    lines: dict[tuple[str, int], int] = {}
    tickets = facts.tickets
    for t in tickets:
        key = (t["type_name"] or t["ticket_type_id"], t["price"])
        lines[key] = lines.get(key, 0) + 1
    joiner = _(" and ")
    notes = tuple(f"{t['row']}{t['seat']} {joiner.join(words(facts.flags[t['id']]))}" for t in tickets
                  if t["status"] == "valid" and facts.flags[t["id"]])
    pays = [p for p in order_store.payments_of(ctx.conn, order["id"]) if p["kind"] == "payment"]
    tenders = []
    for p in pays:
        label = _(TENDER_LABELS[p["tender"]]) + (f" ****{p['card_last4']}" if p["card_last4"] else "") + (
            " " + _("ref {reference}").format(reference=p["reference"]) if p.get("reference") else "")
        tenders.append((label, format_money(p["tendered"] if p["tendered"] is not None else p["amount"], cur)))
    change = sum(p["change"] or 0 for p in pays)
    rate = ev["tax_rate_bp"] if ev else 0
    tax_lines = [(_("incl. tax {rate}%").format(rate=f"{rate / 100:g}"), format_money(order["tax"], cur))] \
        if rate else []
    tz = ev["timezone"] if ev else "UTC"
    return ReceiptView(
        venue=facts.venue, order_code=order["code"],
        lines=[(f"{name} {format_money(price, cur)}", n, format_money(price * n, cur))
               for (name, price), n in lines.items()],
        total=format_money(order["total"], cur), tax_lines=tax_lines, tenders=tenders,
        change=format_money(change, cur) if any(p["tender"] == "cash" for p in pays) else None,
        operator=facts.operator if facts.operator is not None else "-",
        time=when_text(order["created_at"], tz, year=True),
        footer=(ev["name"] if ev else None), copy=copy, notes=notes, language=ctx.config.venue_language)


def _layouts(ctx: Ctx, job: dict) -> tuple[list[Any], list[Any]]:
    """The job's ticket layouts and receipt layout (empty where not asked), in the venue's language."""
    with use_language(ctx.config.venue_language):
        return _layouts_here(ctx, job)


def _layouts_here(ctx: Ctx, job: dict) -> tuple[list[Any], list[Any]]:
    doc = json.loads(job["document"])
    if "blocks" in doc:
        return [], [_stored_layout(doc)]
    if doc.get("test"):
        venue = (catalog_store.venue(ctx.conn) or {}).get("name", "boxoffice")
        return [], [documents.test_page_layout(venue, job["printer_uri"], job["profile"] or "-",
                                               "TEST " + job["id"].upper(), language=ctx.config.venue_language)]
    found = store.order_for_print(ctx.conn, doc["order_id"])  # with the venue's and the seller's names
    if found is None:
        raise BoxOfficeError("not_found", _("print job {job} names an order that does not exist").format(
            job=job["id"]))
    order = found[0]
    facts = _order_facts(ctx, order, venue=found[1], operator=found[2])
    tickets = [documents.ticket_layout(v) for v in _ticket_views(ctx, order, doc["tickets"], doc["copy"], facts)]
    receipt = [documents.receipt_layout(receipt_view(ctx, order, doc["copy"], facts), open_drawer=doc["drawer"])] \
        if doc["receipt"] else []
    return tickets, receipt


def _deliver(ctx: Ctx, job: dict) -> str:
    """Render and send one job; returns where it went (a file path for PDF/file printers)."""
    tickets, receipt = _layouts(ctx, job)
    uri = parse_printer_uri(printer_uri(ctx))  # the printer configured now: a retry goes to the replacement
    if uri.scheme == "pdf":
        from boxoffice.printing.layout import split_pieces
        from boxoffice.printing.pdf_render import render_pdf
        from boxoffice.printing.transport import write_pdf

        if not any(split_pieces(layout) for layout in tickets + receipt):
            return "nowhere: a PDF printer has no cash drawer"
        order = order_store.order_by_id(ctx.conn, json.loads(job["document"]).get("order_id") or "")
        name = json.loads(job["document"]).get("name") or (order["code"] if order else "test")
        name += "-copy" if json.loads(job["document"]).get("copy") else ""
        # One of the two: the configuration is refused when read otherwise (config.TICKET_STOCKS).
        pdf = render_pdf(tickets + receipt, stock=cast("Stock", str(ctx.config.ticket_stock)))
        return str(write_pdf(uri, f"{name}-{job['id'][-8:]}", pdf))
    render_escpos, send = _escpos_path()
    native_qr = ctx.config.printer_qr != "image"  # "image": a printer whose own QR command misbehaves
    chinese = str(ctx.config.printer_chinese)  # "gb18030": a printer with a Chinese font takes Chinese as text
    data = b"".join(render_escpos(layout, profile=str(ctx.config.printer_profile), native_qr=native_qr,
                                  chinese=chinese) for layout in tickets + receipt)
    send(uri, data)
    return str(uri)


def _escpos_path() -> tuple[Any, Any]:
    """The ESC/POS renderer and the transports' send, imported on the first ESC/POS job (a PDF printer, or a command
    that prints nothing, does without them; they import escpos' and the transports' modules) and kept."""
    global _ESCPOS
    if _ESCPOS is None:
        from boxoffice.printing.escpos_render import render_escpos
        from boxoffice.printing.transport import send

        _ESCPOS = (render_escpos, send)
    return _ESCPOS


_ESCPOS: tuple[Any, Any] | None = None


@contextlib.contextmanager
def _printing_lock(ctx: Ctx) -> Iterator[None]:
    """One process at a time sends this terminal's jobs (a lock file beside the database).

    Without it two processes (a sale and `boxoffice print retry`, or two retries) could both find a failed job
    waiting and both print it: a second original ticket. Reading a job's state and sending it under the lock means
    the later process finds the job printed and skips it. The operating system drops the lock if the process dies
    mid-print.
    """
    if ctx.cache.get("printing_lock"):  # held already by this command: a second flock here would wait forever
        yield
        return
    try:
        import fcntl
    except ImportError:  # no flock on this platform: one process at a time is not enforced
        yield
        return
    kept = ctx.cache.get("print_lock_path")
    if kept is None or kept[0] is not ctx.config:  # worked out once per configuration: two Paths a print
        db = ctx.config.db_path
        kept = ctx.cache["print_lock_path"] = (ctx.config, db.with_name(db.name + ".print-lock"))
    path = kept[1]
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)  # held across the yield; a bare descriptor
    except OSError:
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        ctx.cache["printing_lock"] = True
        try:
            yield
        finally:
            ctx.cache["printing_lock"] = False
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def run_jobs(ctx: Ctx, job_ids: list[str]) -> list[PrintResult]:
    """Print the given jobs now. Each outcome is committed on its own; a failure never undoes the sale."""
    with _printing_lock(ctx):
        return _run_jobs(ctx, job_ids)


def _run_jobs(ctx: Ctx, job_ids: list[str]) -> list[PrintResult]:
    results: list[PrintResult] = []
    for job_id in job_ids:
        job = store.get(ctx.conn, job_id)
        if job is None:
            raise BoxOfficeError("not_found", _("no print job {job}").format(job=job_id))
        # Read under the printing lock: no other process is sending this job now. The attempt is counted with
        # its outcome, one commit per job rather than two (each commit waits for the disk).
        if job["status"] == "printed":
            results.append({"job": job_id, "status": "printed", "note": "printed already"})
            continue
        try:
            where = _deliver(ctx, job)
        except BoxOfficeError as exc:
            with store.outcome_write(ctx.conn):
                store.mark_failed(ctx.conn, job_id, exc.message)
            results.append({"job": job_id, "status": "failed", "error": exc.message, "code": exc.code})
            continue
        except Exception as exc:  # a rendering fault must not hide that the sale itself is saved
            message = f"printing failed ({type(exc).__name__}: {exc}); the job waits for `boxoffice print retry`"
            with store.outcome_write(ctx.conn):
                store.mark_failed(ctx.conn, job_id, message)
            results.append({"job": job_id, "status": "failed", "error": message, "code": "printer_offline"})
            continue
        with store.outcome_write(ctx.conn):
            store.mark_printed(ctx.conn, job_id, ctx.now_iso())
        results.append({"job": job_id, "status": "printed", "to": where})
    return results


def retry(ctx: Ctx) -> list[PrintResult]:
    """Print every job still waiting, oldest first (`boxoffice print retry`)."""
    ctx.require("print")
    with _printing_lock(ctx):  # what waits is read under the lock: another retry may just have printed it
        return _run_jobs(ctx, [j["id"] for j in store.pending(ctx.conn)])


def test_print(ctx: Ctx) -> list[PrintResult]:
    ctx.require("print")
    return run_jobs(ctx, [queue_test(ctx)])


def list_jobs(ctx: Ctx, pending_only: bool = False) -> list[PrintJob]:
    jobs = store.pending(ctx.conn) if pending_only else store.recent(ctx.conn)
    return [cast(PrintJob, {k: j[k] for k in ("id", "created_at", "kind", "order_id", "printer_uri", "status",
                                             "attempts", "last_error", "printed_at")}) for j in jobs]

