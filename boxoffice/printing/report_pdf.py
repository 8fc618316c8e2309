"""The end-of-day report as a PDF with charts (sales by hour, capacity used per section, tenders) and the tables
behind them, refunds included.

Drawn with reportlab's platypus and graphics (imported here only), with invariant output for the same input.
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape  # Paragraph reads markup: a venue called "Tom's <b>" must print as typed

from boxoffice.domain.money import format_money
from boxoffice.domain.shown import shown


def _bar_chart(labels: list[str], values: list[float], width: float, height: float, title: str) -> Any:
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors

    d = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 40, 30, width - 60, height - 60
    chart.data = [values or [0]]
    chart.categoryAxis.categoryNames = labels or ["-"]
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.angle = 30 if len(labels) > 8 else 0
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontSize = 7
    chart.bars[0].fillColor = colors.HexColor("#2b6cb0")
    d.add(chart)
    d.add(String(width / 2, height - 14, title, textAnchor="middle", fontSize=10, fontName="Helvetica-Bold"))
    return d


def _pie(labels: list[str], values: list[float], width: float, height: float, title: str) -> Any:
    from reportlab.graphics.charts.piecharts import Pie
    from reportlab.graphics.shapes import Drawing, String

    d = Drawing(width, height)
    pie = Pie()
    pie.x, pie.y, pie.width, pie.height = width / 2 - 60, 20, 120, 120
    pie.data = values if any(values) else [1]
    pie.labels = labels if any(values) else ["none"]
    pie.simpleLabels = 1
    d.add(pie)
    d.add(String(width / 2, height - 14, title, textAnchor="middle", fontSize=10, fontName="Helvetica-Bold"))
    return d


TENDERS = ("cash", "card", "comp")  # money taken at a till; any other key by tender paid for tickets some other way


def _headline(report: dict[str, Any], cur: str) -> str:
    """Tickets and sales, then what paid for them: money taken at the tills, and apart from it exchange credit, the
    web shop and other terminals' sales (each as reported by tender), so the parts add up to the sales."""
    tenders = report["by_tender"]["groups"]
    taken = sum(g["amount"] for g in tenders if g["key"] in TENDERS)
    parts = [f"{g['key'].replace('_', ' ')} {g['amount_text']} {cur}" for g in tenders if g["key"] not in TENDERS]
    return "; ".join([f"Tickets sold: {report['by_type']['total']['tickets']}",
                      f"sales {report['by_type']['total']['amount_text']} {cur}",
                      f"taken {format_money(taken, cur)} {cur}", *parts])


def _shown_everywhere(doc: Any) -> Any:
    """``doc`` with every string passed through domain.shown (dict keys too: groups are keyed by name)."""
    if isinstance(doc, str):
        return shown(doc)
    if isinstance(doc, dict):
        return {(shown(k) if isinstance(k, str) else k): _shown_everywhere(v) for k, v in doc.items()}
    if isinstance(doc, (list, tuple)):
        return [_shown_everywhere(v) for v in doc]
    return doc


def render_end_of_day(report: dict[str, Any]) -> bytes:
    """A4 PDF: headline totals, three charts and the tables behind them."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    report = _shown_everywhere(report)  # names synced from elsewhere: no control or bidi character on the page
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                            bottomMargin=15 * mm, title="End of day", invariant=1)
    styles = getSampleStyleSheet()
    cur = report["by_type"]["currency"]
    story: list[Any] = [
        Paragraph(escape(f"End of day: {report['venue']}"), styles["Title"]),
        Paragraph(escape(f"Terminal {report['terminal']}; day {report['day'] or 'all'}; event "
                         f"{report['event'] or 'all'}; made {report['generated']}"), styles["Normal"]),
        Spacer(1, 4 * mm),
        Paragraph(escape(_headline(report, cur)), styles["Heading2"]),
    ]
    refunds = report.get("refunds_by_reason")
    if refunds is not None:
        story.append(Paragraph(f"Refunds: {refunds['total']['count']} ({refunds['total']['tickets']} tickets); "
                               f"paid back {refunds['total']['amount_text']} {cur}; fees kept "
                               f"{refunds['total']['fee_text']} {cur}", styles["Heading2"]))
    unpaid = report["by_type"].get("unpaid") or {}
    if unpaid.get("orders"):
        story.append(Paragraph(f"Not counted: {unpaid['orders']} unpaid web order(s), {unpaid['tickets']} tickets, "
                               f"{unpaid['amount_text']} {cur} (no sale until paid)", styles["Normal"]))
    story.append(Paragraph(escape(report["scope"]["text"]), styles["Italic"]))
    width = A4[0] - 30 * mm
    hours = report["by_hour"]["groups"]
    story.append(_bar_chart([g["key"][-5:] for g in hours], [g["count"] for g in hours], width, 170,
                            "Tickets sold by hour"))
    cap = report["capacity"]
    story.append(_bar_chart([f"{c['event_id'][:10]}/{c['section_id'][:10]}" for c in cap],
                            [round(100 * c["sold"] / c["capacity"], 1) if c["capacity"] else 0 for c in cap],
                            width, 170, "Capacity used per section by the sales counted here (%)"))
    tenders = report["by_tender"]["groups"]
    story.append(_pie([f"{g['key']} {g['amount_text']}" for g in tenders], [g["amount"] for g in tenders],
                      width, 170, "Paid by"))

    def tbl(header: list[str], body: list[list[Any]]) -> Any:
        t = Table([header, *body], hAlign="LEFT")
        t.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"), ("FONTSIZE", (0, 0), (-1, -1), 8),
                               ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black)]))
        return t

    story += [Paragraph("By ticket type", styles["Heading3"]),
              tbl(["type", "tickets", f"amount {cur}"],
                  [[g["key"], g["count"], g["amount_text"]] for g in report["by_type"]["groups"]]),
              Paragraph("By tender", styles["Heading3"]),
              tbl(["tender", "payments", f"amount {cur}"], [[g["key"], g["count"], g["amount_text"]] for g in tenders]),
              Paragraph("Capacity", styles["Heading3"]),
              tbl(["event", "section", "capacity", "sold", "unpaid"],
                  [[c["event_id"], c["name"], c["capacity"], c["sold"], c.get("unpaid", 0)] for c in cap])]
    if report.get("by_terminal") is not None:  # the central service's report: who sold what
        story += [Paragraph("By terminal", styles["Heading3"]),
                  tbl(["terminal", "tickets", f"amount {cur}"],
                      [[g["key"], g["count"], g["amount_text"]] for g in report["by_terminal"]["groups"]])]
    if refunds is not None:
        by_tender = report["refunds_by_tender"]
        story += [Paragraph("Refunds by reason", styles["Heading3"]),
                  tbl(["reason", "refunds", "tickets", f"fees {cur}", f"paid back {cur}"],
                      [[g["key"], g["count"], g["tickets"], g["fee_text"], g["amount_text"]]
                       for g in refunds["groups"]]
                      + [["TOTAL", refunds["total"]["count"], refunds["total"]["tickets"],
                          refunds["total"]["fee_text"], refunds["total"]["amount_text"]]]),
                  Paragraph("Refunds by tender", styles["Heading3"]),
                  tbl(["tender", "payments", f"paid back {cur}"],
                      [[g["key"], g["count"], g["amount_text"]] for g in by_tender["groups"]]
                      + [["TOTAL", by_tender["total"]["count"], by_tender["total"]["amount_text"]]])]
    doc.build(story)
    return buf.getvalue()
