"""The end-of-day report as a PDF with charts (sales by hour, capacity used per section, tenders) and the tables
behind them, refunds included.

Drawn with reportlab's platypus and graphics (imported here only), with invariant output for the same input.
Labels are in the language given (the venue's; None: the language in force). Text Helvetica cannot hold (Chinese
names, labels in Chinese) switches the whole document to a TrueType font that has it (pdf_render's choice:
configured, system, else the bundled font), embedded as a subset.
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape  # Paragraph reads markup: a venue called "Tom's <b>" must print as typed

from boxoffice.domain.money import format_money
from boxoffice.domain.shown import shown
from boxoffice.i18n import _, ngettext, use_language


def _bar_chart(labels: list[str], values: list[float], width: float, height: float, title: str,
               fonts: tuple[str, str] = ("Helvetica", "Helvetica-Bold")) -> Any:
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors

    d = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 40, 30, width - 60, height - 60
    chart.data = [values or [0]]
    chart.categoryAxis.categoryNames = labels or ["-"]
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.fontName = fonts[0]
    chart.categoryAxis.labels.angle = 30 if len(labels) > 8 else 0
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labels.fontName = fonts[0]
    chart.bars[0].fillColor = colors.HexColor("#2b6cb0")
    d.add(chart)
    d.add(String(width / 2, height - 14, title, textAnchor="middle", fontSize=10, fontName=fonts[1]))
    return d


def _pie(labels: list[str], values: list[float], width: float, height: float, title: str,
         fonts: tuple[str, str] = ("Helvetica", "Helvetica-Bold")) -> Any:
    from reportlab.graphics.charts.piecharts import Pie
    from reportlab.graphics.shapes import Drawing, String

    d = Drawing(width, height)
    pie = Pie()
    pie.x, pie.y, pie.width, pie.height = width / 2 - 60, 20, 120, 120
    pie.data = values if any(values) else [1]
    pie.labels = labels if any(values) else [_("none")]
    pie.simpleLabels = 1
    pie.slices.fontName = fonts[0]
    d.add(pie)
    d.add(String(width / 2, height - 14, title, textAnchor="middle", fontSize=10, fontName=fonts[1]))
    return d


TENDERS = ("cash", "card", "comp")  # money taken at a till; any other key by tender paid for tickets some other way


def _headline(report: dict[str, Any], cur: str) -> str:
    """Tickets and sales, then what paid for them: money taken at the tills, and apart from it exchange credit, the
    web shop and other terminals' sales (each as reported by tender), so the parts add up to the sales."""
    tenders = report["by_tender"]["groups"]
    taken = sum(g["amount"] for g in tenders if g["key"] in TENDERS)
    parts = [f"{g['key'].replace('_', ' ')} {g['amount_text']} {cur}" for g in tenders if g["key"] not in TENDERS]
    return _("; ").join([_("Tickets sold: {count}").format(count=report['by_type']['total']['tickets']),
                         _("sales {amount} {currency}").format(amount=report['by_type']['total']['amount_text'],
                                                               currency=cur),
                         _("taken {amount} {currency}").format(amount=format_money(taken, cur), currency=cur),
                         *parts])


def _shown_everywhere(doc: Any) -> Any:
    """``doc`` with every string passed through domain.shown (dict keys too: groups are keyed by name)."""
    if isinstance(doc, str):
        return shown(doc)
    if isinstance(doc, dict):
        return {(shown(k) if isinstance(k, str) else k): _shown_everywhere(v) for k, v in doc.items()}
    if isinstance(doc, (list, tuple)):
        return [_shown_everywhere(v) for v in doc]
    return doc


def _fonts(texts: list[str]) -> tuple[str, str] | None:
    """(regular, bold) font names for a document holding ``texts``: None for Helvetica's (all WinAnsi), else a
    TrueType font with the glyphs, registered with reportlab (no bold face: the same font twice)."""
    from boxoffice.printing.pdf_render import _face_for

    everything = "".join(texts)
    face, _drawn = _face_for(everything, False)
    if face.whole is None or face.whole.startswith("Helvetica"):
        return None
    return face.whole, face.whole


def _strings(doc: Any) -> list[str]:
    if isinstance(doc, str):
        return [doc]
    if isinstance(doc, dict):
        return [s for k, v in doc.items() for s in ([k] if isinstance(k, str) else []) + _strings(v)]
    if isinstance(doc, (list, tuple)):
        return [s for v in doc for s in _strings(v)]
    return []


def render_end_of_day(report: dict[str, Any], language: str | None = None) -> bytes:
    """A4 PDF: headline totals, three charts and the tables behind them, labelled in ``language`` (the venue's;
    None: the language in force)."""
    with use_language(language):
        return _render_end_of_day(report)


def _render_end_of_day(report: dict[str, Any]) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    report = _shown_everywhere(report)  # names synced from elsewhere: no control or bidi character on the page
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                            bottomMargin=15 * mm, title=_("End of day"), invariant=1)
    styles = getSampleStyleSheet()
    cur = report["by_type"]["currency"]
    story: list[Any] = [
        Paragraph(escape(_("End of day: {venue}").format(venue=report["venue"])), styles["Title"]),
        Paragraph(escape(_("Terminal {terminal}; day {day}; event {event}; made {made}").format(
            terminal=report["terminal"], day=report["day"] or _("all"), event=report["event"] or _("all"),
            made=report["generated"])), styles["Normal"]),
        Spacer(1, 4 * mm),
        Paragraph(escape(_headline(report, cur)), styles["Heading2"]),
    ]
    refunds = report.get("refunds_by_reason")
    if refunds is not None:
        story.append(Paragraph(_("Refunds: {count} ({tickets} tickets); paid back {amount} {currency}; fees kept "
                                 "{fees} {currency}").format(
            count=refunds["total"]["count"], tickets=refunds["total"]["tickets"],
            amount=refunds["total"]["amount_text"], fees=refunds["total"]["fee_text"], currency=cur),
            styles["Heading2"]))
    loose = report.get("cash_outside_shift")  # absent from the central service's report and older ones
    for line in (loose or {}).get("lines", []):
        story.append(Paragraph(escape(ngettext(
            "Cash booked to no shift: {count} payment or refund, {taken} {currency} taken, {given} {currency} given "
            "back (no drawer count expected it; orders {orders})",
            "Cash booked to no shift: {count} payments or refunds, {taken} {currency} taken, {given} {currency} "
            "given back (no drawer count expected it; orders {orders})", line["count"]).format(
            count=line["count"], taken=line["taken_text"], given=line["given_text"], currency=line["currency"],
            orders=", ".join(loose["orders"]))), styles["Heading2"]))
    unpaid = report["by_type"].get("unpaid") or {}
    if unpaid.get("orders"):
        story.append(Paragraph(_("Not counted: {orders} unpaid web order(s), {tickets} tickets, {amount} {currency} "
                                 "(no sale until paid)").format(orders=unpaid["orders"], tickets=unpaid["tickets"],
                                                                amount=unpaid["amount_text"], currency=cur),
                               styles["Normal"]))
    story.append(Paragraph(escape(report["scope"]["text"]), styles["Italic"]))
    width = A4[0] - 30 * mm
    hours = report["by_hour"]["groups"]
    cap = report["capacity"]
    tenders = report["by_tender"]["groups"]
    charts = [([g["key"][-5:] for g in hours], [g["count"] for g in hours], _("Tickets sold by hour")),
              ([f"{c['event_id'][:10]}/{c['section_id'][:10]}" for c in cap],
               [round(100 * c["sold"] / c["capacity"], 1) if c["capacity"] else 0 for c in cap],
               _("Capacity used per section by the sales counted here (%)")),
              ([f"{g['key']} {g['amount_text']}" for g in tenders], [g["amount"] for g in tenders], _("Paid by"))]

    def tbl(header: list[str], body: list[list[Any]]) -> Any:
        t = Table([header, *body], hAlign="LEFT")
        t.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, 0), bold), ("FONTNAME", (0, 1), (-1, -1), regular),
                               ("FONTSIZE", (0, 0), (-1, -1), 8), ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black)])
                   if fonts else
                   TableStyle([("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"), ("FONTSIZE", (0, 0), (-1, -1), 8),
                               ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black)]))
        return t

    total = _("TOTAL")
    tables: list[tuple[str, list[str], list[list[Any]]]] = [
        (_("By ticket type"), [_("type"), _("tickets"), _("amount {currency}").format(currency=cur)],
         [[g["key"], g["count"], g["amount_text"]] for g in report["by_type"]["groups"]]),
        (_("By tender"), [_("tender"), _("payments"), _("amount {currency}").format(currency=cur)],
         [[g["key"], g["count"], g["amount_text"]] for g in tenders]),
        (_("Capacity"), [_("event"), _("section"), _("capacity"), _("sold"), _("unpaid")],
         [[c["event_id"], c["name"], c["capacity"], c["sold"], c.get("unpaid", 0)] for c in cap])]
    if report.get("by_terminal") is not None:  # the central service's report: who sold what
        tables.append((_("By terminal"), [_("terminal"), _("tickets"), _("amount {currency}").format(currency=cur)],
                       [[g["key"], g["count"], g["amount_text"]] for g in report["by_terminal"]["groups"]]))
    if refunds is not None:
        by_tender = report["refunds_by_tender"]
        tables += [(_("Refunds by reason"),
                    [_("reason"), _("refunds"), _("tickets"), _("fees {currency}").format(currency=cur),
                     _("paid back {currency}").format(currency=cur)],
                    [[g["key"], g["count"], g["tickets"], g["fee_text"], g["amount_text"]]
                     for g in refunds["groups"]]
                    + [[total, refunds["total"]["count"], refunds["total"]["tickets"],
                        refunds["total"]["fee_text"], refunds["total"]["amount_text"]]]),
                   (_("Refunds by tender"),
                    [_("tender"), _("payments"), _("paid back {currency}").format(currency=cur)],
                    [[g["key"], g["count"], g["amount_text"]] for g in by_tender["groups"]]
                    + [[total, by_tender["total"]["count"], by_tender["total"]["amount_text"]]])]
    texts = [p.text for p in story if isinstance(p, Paragraph)] + _strings(charts) + _strings(tables)
    fonts = _fonts(texts)
    regular, bold = fonts or ("Helvetica", "Helvetica-Bold")
    if fonts:  # Chinese on the page: every style in the font that has it, lines broken between characters
        from reportlab.lib.styles import ParagraphStyle

        cjk = {key: ParagraphStyle(key, parent=styles[key], fontName=regular, wordWrap="CJK")
               for key in ("Title", "Normal", "Heading2", "Heading3", "Italic")}
        story = [Paragraph(p.text, cjk[p.style.name]) if isinstance(p, Paragraph) else p for p in story]
    heading3 = cjk["Heading3"] if fonts else styles["Heading3"]
    chart_fonts = (regular, bold)
    story += [_bar_chart(charts[0][0], charts[0][1], width, 170, charts[0][2], chart_fonts),
              _bar_chart(charts[1][0], charts[1][1], width, 170, charts[1][2], chart_fonts),
              _pie(charts[2][0], charts[2][1], width, 170, charts[2][2], chart_fonts)]
    for heading, header, body in tables:
        story += [Paragraph(escape(heading), heading3), tbl(header, body)]
    doc.build(story)
    return buf.getvalue()
