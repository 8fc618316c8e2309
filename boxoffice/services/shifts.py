"""Shifts and the cash drawer: open with a float, cash in and out with a reason, X report, close with a count.

The drawer's expected cash is always worked out the same way, from the rows that moved money in this shift:

    expected = float + cash taken by sales - cash given back by refunds + cash in - cash out

"Cash taken" is what a sale kept (the amount, not what was handed over: the change went straight back). A sale,
refund or exchange belongs to the shift the operator had open when it happened (payments.shift_id), so two people
at one terminal each account for their own drawer. One open shift per operator and terminal (a partial UNIQUE
index holds that even against a race). With ``require_shift`` set, nobody sells or refunds without one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypedDict, cast

from boxoffice.domain.card_numbers import refuse_card_number
from boxoffice.domain.clock import iso, local_text, when_text
from boxoffice.domain.ids import uuid7
from boxoffice.domain.money import format_money
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _, use_language
from boxoffice.services.context import Ctx
from boxoffice.services.drawer import _mine, _target, kept_pieces  # noqa: F401 - shared with blind_close
from boxoffice.services.drawer import cash_summary as cash_summary
from boxoffice.services.drawer import current as current
from boxoffice.services.drawer import refuse_if_counted as refuse_if_counted
from boxoffice.store import catalog as catalog_store
from boxoffice.store import operators as operator_store
from boxoffice.store import shifts as store
from boxoffice.store.db import write

MAX_REASON = 200
TENDERS = ("cash", "card", "comp")
# How the report names each tender (the tender itself stays English in --json and the database).
TENDER_WORDS = {"cash": N_("Cash"), "card": N_("Card"), "comp": N_("Comp")}


class ShiftRow(TypedDict):
    """A shift as opened (:func:`open_shift`); ``float`` is the cash counted into the drawer."""

    id: str
    operator_id: str
    terminal_id: str
    currency: str
    opened_at: str
    float: int


class CashMovement(TypedDict):
    """Cash put in or taken out of the drawer (:func:`cash_move`), as stored."""

    id: str
    shift_id: str
    kind: str
    amount: int
    reason: str
    at: str
    operator_id: str


class DrawerOpened(CashMovement):
    """The drawer kicked open with no sale (:func:`drawer_open`): the movement stored and the kick's print job."""

    jobs: list[str]


class ShiftReport(TypedDict):
    """An X report (open shift, :func:`status`) or a Z report (closed): money by tender, tickets by type, the
    drawer's arithmetic (``cash``: float, sales, refunds, in, out, expected; counted and variance once closed)."""

    kind: str
    shift: str
    operator: str
    terminal: str
    currency: str
    opened_at: str
    closed_at: str | None
    opened_local: str
    closed_local: str | None
    tenders: list[dict[str, Any]]
    types: list[dict[str, Any]]
    cash: dict[str, int]
    totals: dict[str, int]
    counts: dict[str, int]
    movements: list[dict[str, Any]]
    pieces: list[dict[str, Any]]
    variance_note: str | None
    approved_by: str | None
    blind: bool


class ClosedShift(ShiftReport):
    """A shift closed (:func:`close_shift`): its Z report, the report's print job and where its PDF was kept (or
    why it could not be)."""

    jobs: list[str]
    pdf: str | None
    pdf_error: str | None


def currency(ctx: Ctx) -> str:
    """The venue's currency, in which floats and counts are given."""
    venue = catalog_store.venue(ctx.conn)
    cur = ctx.config.currency or (venue["currency"] if venue else "")
    if not cur:
        raise BoxOfficeError("not_found", _("no venue yet, so no currency: import a catalogue first"))
    return str(cur)


def _tz(ctx: Ctx) -> str:
    from boxoffice.services.events import venue_tz

    return venue_tz(ctx)


def open_shift_id(ctx: Ctx) -> str | None:
    """The id that money moved now belongs to: the logged-in operator's open shift, if any."""
    shift = current(ctx)
    return shift["id"] if shift else None


def shift_for_money(ctx: Ctx) -> str | None:
    """The shift a sale or refund is booked to; with ``require_shift`` set, refuse when there is none. A drawer
    counted for its close takes no more (drawer.refuse_if_counted)."""
    shift = current(ctx)
    who = ctx.operator["name"] if ctx.operator else _("nobody")
    if shift is None and ctx.config.require_shift:
        raise BoxOfficeError("shift_required", _("{who} has no open shift at this terminal: "
                                                 "run `boxoffice shift open --float AMOUNT` first").format(who=who))
    if shift is not None:
        refuse_if_counted(shift, who)
    return shift["id"] if shift else None


KEPT_DAYS = 30  # a terminal where a shift was open within this many days keeps shifts (shifts_kept_here)


def shifts_kept_here(ctx: Ctx) -> bool:
    """Whether this terminal keeps shifts: one is open here now, or was within the last ``KEPT_DAYS`` days.

    Days rather than the night: the first seller of the day, with last night's shifts closed, is still at a terminal
    that keeps them."""
    from datetime import timedelta

    return store.kept_here(ctx.conn, ctx.terminal["id"], iso(ctx.now() - timedelta(days=KEPT_DAYS)))


def cash_outside_shift(ctx: Ctx, money_rows: list[dict[str, Any]]) -> bool:
    """Whether ``money_rows`` (just booked) took or gave back cash with no shift, at a terminal that keeps shifts:
    the operator is told at once, while the customer is still there (the supervisor's alert says it later:
    services/alerts.py). A terminal that keeps no shifts is not told on every cash sale."""
    if not any(r["tender"] == "cash" and r["shift_id"] is None for r in money_rows):
        return False
    return shifts_kept_here(ctx)


def require_open_shift(ctx: Ctx) -> None:
    """With ``require_shift`` set, refuse when the operator has no open shift here; without it, read nothing: a sale
    finds its shift again inside its transaction, where its payments are booked (``open_shift_id``)."""
    if ctx.config.require_shift:
        shift_for_money(ctx)


def _reason(text: str | None) -> str:
    value = (text or "").strip()
    if not value:
        raise BoxOfficeError("bad_input", _("say why: --reason 'change for the bar'"))
    if len(value) > MAX_REASON or any(ord(c) < 32 for c in value):
        raise BoxOfficeError("bad_input", _("a reason is up to {count} printable characters").format(
            count=MAX_REASON))
    refuse_card_number(value, "cash reason")
    return value


def open_shift(ctx: Ctx, float_amount: int) -> ShiftRow:
    """Open the logged-in operator's shift with the float counted into the drawer."""
    op = ctx.require("shift")
    if float_amount < 0:
        raise BoxOfficeError("bad_input", _("a float cannot be negative"))
    if float_amount > 0:
        ctx.require("cash")
    existing = current(ctx, op["id"])
    if existing is not None:
        raise BoxOfficeError("shift_open", _("{name} has a shift open since "
                                             "{when}: close it first "
                                             "(`boxoffice shift close --counted AMOUNT`)").format(
            name=op["name"], when=when_text(existing["opened_at"], _tz(ctx))))
    row = {"id": uuid7(), "operator_id": op["id"], "terminal_id": ctx.terminal["id"], "currency": currency(ctx),
           "opened_at": ctx.now_iso(), "float": float_amount}
    with write(ctx.conn):
        store.insert(ctx.conn, row)
        ctx.journal("shift.open", {"shift": row})
    return cast(ShiftRow, row)


def cash_move(ctx: Ctx, kind: str, amount: int, reason: str) -> CashMovement:
    """Put cash into the drawer or take it out, with a reason. Taking out more than the drawer should hold is not
    refused: a refusal on that figure answers "does it hold at least X?", and a seller could find the figure before
    the blind count (services/blind_close.py) by trying amounts; too much taken out shows as a variance at the
    close, which needs a note and a supervisor."""
    if kind not in ("in", "out"):
        raise BoxOfficeError("bad_input", _("cash movement {kind}: use in or out").format(kind=repr(kind)))
    op = ctx.require("cash")
    shift = _mine(ctx, op)
    refuse_if_counted(shift, op["name"])
    if amount <= 0:
        raise BoxOfficeError("bad_input", _("a cash movement is a positive amount"))
    why = _reason(reason)
    row = {"id": uuid7(), "shift_id": shift["id"], "kind": kind, "amount": amount, "reason": why,
           "at": ctx.now_iso(), "operator_id": op["id"]}
    with write(ctx.conn):  # even past what the drawer should hold (the docstring says why)
        store.insert_movement(ctx.conn, row)
        ctx.journal(f"cash.{kind}", {"movement": row})
    return cast(CashMovement, row)


def drawer_open(ctx: Ctx, reason: str | None = None) -> DrawerOpened:
    """Kick the drawer open with no sale: recorded in the shift and the journal, sent as a print job."""
    from boxoffice.printing.documents import drawer_kick_layout
    from boxoffice.services.printing import queue_layout

    op = ctx.require("drawer")
    shift = _mine(ctx, op)
    row = {"id": uuid7(), "shift_id": shift["id"], "kind": "drawer", "amount": 0,
           "reason": _reason(reason or "no sale"), "at": ctx.now_iso(), "operator_id": op["id"]}
    with write(ctx.conn):
        store.insert_movement(ctx.conn, row)
        job = queue_layout(ctx, "drawer", drawer_kick_layout(), name="drawer")
        ctx.journal("drawer.open", {"movement": row, "job": job})
    return cast(DrawerOpened, row | {"jobs": [job]})


def report(ctx: Ctx, shift: dict[str, Any]) -> ShiftReport:
    """An X report (open shift) or Z report (closed): money by tender, tickets by type, and the drawer."""
    sid, cur = shift["id"], shift["currency"]
    pays = store.payment_totals(ctx.conn, sid)
    tenders: list[dict[str, Any]] = []
    for tender in TENDERS:
        sale = next((p for p in pays if p["kind"] == "payment" and p["tender"] == tender), None)
        back = next((p for p in pays if p["kind"] == "refund" and p["tender"] == tender), None)
        if sale or back:
            tenders.append({"tender": tender, "sales": sale["n"] if sale else 0,
                            "sales_amount": sale["amount"] if sale else 0, "refunds": back["n"] if back else 0,
                            "refund_amount": back["amount"] if back else 0,
                            "net": (sale["amount"] if sale else 0) - (back["amount"] if back else 0)})
    types: dict[str, dict[str, Any]] = {}

    def fold(items: list[dict], prefix: str) -> None:
        for r in items:
            t = types.setdefault(r["type"], {"type": r["type"], "name": r["name"], "sold": 0, "sold_amount": 0,
                                             "refunded": 0, "refunded_amount": 0, "refund_fees": 0,
                                             "exchanged_out": 0, "exchanged_out_amount": 0, "exchanged_in": 0,
                                             "exchanged_in_amount": 0})
            t[prefix] += r["n"]
            t[f"{prefix}_amount"] += r["amount"] or 0
            if prefix == "refunded":
                t["refund_fees"] += r["fee"] or 0

    fold(store.sold_by_type(ctx.conn, sid), "sold")
    fold(store.refunded_by_type(ctx.conn, sid), "refunded")
    fold(store.exchanged_out_by_type(ctx.conn, sid), "exchanged_out")
    fold(store.exchanged_in_by_type(ctx.conn, sid), "exchanged_in")
    cash = cash_summary(ctx, shift)
    closed = shift["closed_at"] is not None
    if closed:
        cash |= {"counted": shift["counted"], "variance": shift["variance"]}
        cash["expected"] = shift["expected"]
    approver = operator_store.by_id(ctx.conn, shift["variance_approved_by"]) \
        if closed and shift.get("variance_approved_by") else None
    moves = store.movements(ctx.conn, sid)
    op = operator_store.by_id(ctx.conn, shift["operator_id"])
    tz = _tz(ctx)
    return {
        "kind": "Z" if closed else "X", "shift": shift["id"], "operator": op["name"] if op else shift["operator_id"],
        "terminal": ctx.terminal["name"], "currency": cur,
        "opened_at": shift["opened_at"], "closed_at": shift["closed_at"],
        "opened_local": when_text(shift["opened_at"], tz, year=True),
        "closed_local": when_text(shift["closed_at"], tz, year=True) if closed else None,
        "tenders": tenders, "types": sorted(types.values(), key=lambda t: t["name"]), "cash": cash,
        "totals": {"sales": sum(t["sales_amount"] for t in tenders),
                   "refunds": sum(t["refund_amount"] for t in tenders),
                   "net": sum(t["net"] for t in tenders)},
        "counts": store.counts(ctx.conn, sid) | {"drawer_opens": sum(m["kind"] == "drawer" for m in moves)},
        "movements": [{"kind": m["kind"], "amount": m["amount"], "reason": m["reason"],
                       "at_local": local_text(m["at"], tz, "%H:%M")} for m in moves],
        "pieces": kept_pieces(shift) if closed else [],
        "variance_note": shift.get("variance_note") if closed else None,
        "approved_by": approver["name"] if approver else None, "blind": False,
    }


def status(ctx: Ctx, operator_name: str | None = None) -> ShiftReport:
    """The X report: the open shift so far, and the cash the drawer should hold now; blind (counts, no money) on
    your own shift until its drawer is counted (services/blind_close.py)."""
    from boxoffice.services.blind_close import blind_for, blinded

    viewer, shift = _target(ctx, operator_name)
    z = report(ctx, shift)
    return cast(ShiftReport, blinded(dict(z))) if blind_for(viewer, shift) else z


def close_shift(ctx: Ctx, counted: int | None = None, operator_name: str | None = None, *,
                pieces: dict[int, int] | None = None, note: str | None = None,
                supervisor: tuple[str, str] | None = None) -> ClosedShift:
    """Close a shift on its blind count (services/blind_close.py): the Z report is fixed, journalled, queued to
    print and kept as a PDF.

    A drawer not counted yet is counted first (``counted`` or ``pieces``), and that count is kept even when the
    close is then refused, so a second try cannot count to what the first one revealed. A count given for a drawer
    counted already must match it. A variance needs a note and a supervisor (``blind_close.approval``).
    """
    from boxoffice.services import blind_close as blind
    from boxoffice.services.printing import queue_layout

    op, shift = _target(ctx, operator_name)
    kept = blind.kept_count(shift)
    if kept is None:
        kept = blind.count_drawer(ctx, counted, pieces, operator_name)
    elif pieces is not None or (counted is not None and counted != kept["counted"]):
        raise BoxOfficeError("conflict", _("this drawer was counted already "
                                           "({counted}): close "
                                           "with that count, a mistake explained in the variance note").format(
            counted=format_money(kept["counted"], shift["currency"])))
    counted = kept["counted"]
    # the approval is outside the write: a supervisor's wrong PIN is counted (committed) even though we refuse
    seen = cash_summary(ctx, shift)["expected"]
    why, approver = blind.approval(ctx, shift, counted - seen, note, supervisor)
    now = ctx.now_iso()
    with write(ctx.conn):
        expected = cash_summary(ctx, shift)["expected"]
        if expected != seen:
            raise BoxOfficeError("conflict", _("money moved in this drawer while it was being closed: close again"))
        if not store.close(ctx.conn, shift["id"], at=now, by=op["id"], counted=counted, expected=expected):
            raise BoxOfficeError("conflict", _("that shift was closed a moment ago"))
        store.approve_variance(ctx.conn, shift["id"], note=why, by=approver["id"] if approver else None)
        closed = store.get(ctx.conn, shift["id"])
        assert closed is not None
        z = cast(ClosedShift, report(ctx, closed))  # its jobs and PDF are added below
        job = queue_layout(ctx, "report", report_layout(ctx, z), name=f"shift-{z['operator']}-{shift['id'][-8:]}")
        ctx.journal("shift.close", {"shift": shift["id"], "operator": shift["operator_id"], "counted": counted,
                                    "expected": expected, "variance": counted - expected, "cash": z["cash"],
                                    "tenders": z["tenders"], "types": z["types"], "job": job, "closed_at": now,
                                    "note": why, "approved_by": approver["id"] if approver else None})
    z["jobs"] = [job]
    z["pdf"], z["pdf_error"] = save_pdf(ctx, z)
    return z


def report_lines(z: ShiftReport) -> list[tuple[str, str]]:
    """The report as (label, value) lines; an empty value marks a heading. Shared by the screen and the paper."""
    cur = z["currency"]

    def m(v: int | None) -> str:
        return _("(after the count)") if v is None else format_money(v, cur)

    def neg(v: int | None) -> str:
        return m(None if v is None else -v)

    def tender(t: dict[str, Any]) -> str:
        return _(TENDER_WORDS[t["tender"]]) if t["tender"] in TENDER_WORDS else str(t["tender"]).title()

    lines: list[tuple[str, str]] = [(_("Operator"), z["operator"]), (_("Terminal"), z["terminal"]),
                                    (_("Opened"), z["opened_local"])]
    if z.get("blind"):
        lines.append((_("Blind until the drawer is counted: no money shown"), ""))
    if z["closed_local"]:
        lines.append((_("Closed"), z["closed_local"]))
    lines.append((_("BY TENDER"), ""))
    for t in z["tenders"]:
        lines.append((_("{tender} sales x{count}").format(tender=tender(t), count=t["sales"]),
                      m(t["sales_amount"])))
        if t["refunds"]:
            lines.append((_("{tender} refunds x{count}").format(tender=tender(t), count=t["refunds"]),
                          neg(t["refund_amount"])))
    lines += [(_("Sales"), m(z["totals"]["sales"])), (_("Refunds"), neg(z["totals"]["refunds"])),
              (_("Net"), m(z["totals"]["net"]))]
    lines.append((_("BY TICKET TYPE"), ""))
    for t in z["types"]:
        if t["sold"]:
            lines.append((_("{type} sold x{count}").format(type=t["name"], count=t["sold"]), m(t["sold_amount"])))
        if t["refunded"]:
            lines.append((_("{type} refunded x{count}").format(type=t["name"], count=t["refunded"]),
                          neg(t["refunded_amount"])))
        if t["exchanged_out"]:
            lines.append((_("{type} exchanged out x{count}").format(type=t["name"], count=t["exchanged_out"]),
                          neg(t["exchanged_out_amount"])))
        if t["exchanged_in"]:
            lines.append((_("{type} exchanged in x{count}").format(type=t["name"], count=t["exchanged_in"]),
                          m(t["exchanged_in_amount"])))
    c = z["cash"]
    lines += [(_("CASH DRAWER"), ""), (_("Float"), m(c["float"])), (_("Cash sales"), m(c["sales"])),
              (_("Cash refunds"), neg(c["refunds"])), (_("Cash in"), m(c["in"])), (_("Cash out"), neg(c["out"])),
              (_("Expected"), m(c["expected"]))]
    if "counted" in c:
        lines += [(_("Counted"), m(c["counted"])), (_("Variance"), m(c["variance"]))]
        if z.get("variance_note"):
            lines.append((_("Variance note"), str(z["variance_note"])))
        if z.get("approved_by"):
            lines.append((_("Variance approved by"), str(z["approved_by"])))
        if z.get("pieces"):
            lines.append((_("COUNTED BY PIECE"), ""))
            lines += [(f"{p['label']} x{p['pieces']}", m(p["amount"])) for p in z["pieces"]]
    counts = z["counts"]
    lines += [(_("COUNTS"), ""), (_("Sales made"), str(counts["sales"])), (_("Refunds made"), str(counts["refunds"])),
              (_("Exchanges made"), str(counts["exchanges"])), (_("Overrides"), str(counts["overrides"])),
              (_("Drawer opened, no sale"), str(counts["drawer_opens"]))]
    return lines


def report_layout(ctx: Ctx, z: ShiftReport) -> list[Any]:
    """The X/Z report on paper (printing/documents.py lays it out from the report's lines)."""
    from boxoffice.printing.documents import shift_report_layout

    venue = ctx.config.venue_name or (catalog_store.venue(ctx.conn) or {}).get("name", "")
    with use_language(ctx.config.venue_language):  # paper speaks the venue's language, whatever the screen speaks
        return shift_report_layout(venue, z["kind"], report_lines(z))


def save_pdf(ctx: Ctx, z: ShiftReport) -> tuple[str | None, str | None]:
    """Keep the Z report as a PDF in reports/ beside the database; (path, None) or (None, why not).

    The shift is closed whatever happens here: a PDF that cannot be written is reported, not fatal.
    """
    try:
        from boxoffice.printing.pdf_render import render_pdf
        from boxoffice.printing.transport import write_pdf
        from boxoffice.printing.uri import parse_printer_uri
    except ImportError as exc:  # the PDF back-end is optional at run time
        return None, _("no PDF back-end: {error}").format(error=exc)
    assert z["closed_at"] is not None  # only a Z report (a closed shift) is kept
    directory = (Path(ctx.config.db_path).parent / "reports").resolve()
    name = f"shift-{z['closed_at'][:10]}-{z['operator']}-{z['shift'][-8:]}"
    try:
        pdf = render_pdf([report_layout(ctx, z)], stock="ticket", title=_("{kind} report").format(kind=z["kind"]))
        return str(write_pdf(parse_printer_uri(f"pdf://{directory}"), name, pdf)), None
    except BoxOfficeError as exc:
        return None, exc.message
