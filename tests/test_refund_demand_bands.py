"""Refund fees that follow demand: the bands on their own, the catalogue refusing bad bands, and refunds through
the services and the CLI, with the band on the receipt (ESC/POS and PDF), in --json and in the journal."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boxoffice.domain.demand_bands import Band, Demand, band_at, scaled_fee
from boxoffice.domain.refund_policy import Tier
from boxoffice.domain.tenders import Tender
from boxoffice.errors import BoxOfficeError
from boxoffice.services.catalog import import_catalog
from boxoffice.services.context import Ctx
from boxoffice.services.refunds import RefundRequest, preview, refund
from boxoffice.services.sales import SaleRequest, sell
from boxoffice.store.db import one, rows

# The test clock starts at 2026-12-01 10:00 UTC; both events start a week later, 19:30 London time.
START = datetime(2026, 12, 8, 19, 30, tzinfo=UTC)
BANDS = [{"sold_at_least": 0.5, "fee_scale_percent": 80}, {"sold_at_least": 0.9, "fee_scale_percent": "50"}]
POLICY = [{"until_hours_before": 168, "fee_percent": "0"}, {"until_hours_before": 48, "fee_percent": "10"},
          {"until_hours_before": 4, "fee_fixed": "3.00"}]


def event(eid: str, bands: list[dict[str, Any]] | None = BANDS, policy: list[dict[str, Any]] | None = POLICY,
          capacity: int = 10) -> dict[str, Any]:
    ev: dict[str, Any] = {
        "id": eid, "name": eid.title(), "starts_at": "2026-12-08T19:30",
        "sections": [{"id": "floor", "name": "Floor", "kind": "general", "capacity": capacity}],
        "ticket_types": [{"id": "adult", "name": "Adult", "prices": {"floor": "35.00"}}],
    }
    if policy is not None:
        ev["refund_policy"] = policy
    if bands is not None:
        ev["refund_demand_bands"] = bands
    return ev


def catalog(*events: dict[str, Any]) -> dict[str, Any]:
    return {"format": "boxoffice.catalog/1",
            "venue": {"id": "demo-hall", "name": "Demo Hall", "timezone": "Europe/London", "currency": "GBP"},
            "events": list(events)}


def sale(ctx: Ctx, eid: str, n: int) -> dict[str, Any]:
    return sell(ctx, SaleRequest(eid, "floor", {"adult": n}, [Tender("cash", 3500 * n)]))


@pytest.fixture
def venue(terminal: Ctx, login: Any, clock: Any) -> Ctx:
    """Two identical events with demand bands: 'busy' 9 of 10 sold, 'quiet' 1 of 10; one single-ticket order
    each to refund; the clock three days before the start (the 10% tier); sam logged in."""
    import_catalog(terminal, catalog(event("busy"), event("quiet"), event("plain", bands=None)))
    login(terminal, "sam")
    sale(terminal, "busy", 8)
    clock.set(START - timedelta(hours=72))
    login(terminal, "sam")
    return terminal


def last_refund_entry(ctx: Ctx) -> dict[str, Any]:
    e = one(ctx.conn, "SELECT payload FROM journal WHERE kind = 'refund' ORDER BY seq DESC LIMIT 1")
    return json.loads(e["payload"])


# -- the bands on their own -------------------------------------------------------------------------------------

LOW, HIGH = Band(0, 5000, 8000), Band(1, 9000, 5000)


@pytest.mark.parametrize(("sold", "capacity", "band"), [
    (0, 10, None), (4, 10, None), (5, 10, LOW), (8, 10, LOW), (9, 10, HIGH), (10, 10, HIGH),
    (899, 1000, LOW), (900, 1000, HIGH),        # exactly 90% is in the 90% band; one place fewer is not
    (0, 0, None),                                # an event with no capacity is in no band
])
def test_the_band_in_force_at_and_around_each_boundary(sold: int, capacity: int, band: Band | None) -> None:
    assert band_at([HIGH, LOW], sold, capacity).band == band  # given in any order, the highest that fits wins


@pytest.mark.parametrize(("tier", "scale", "price", "fee"), [
    (Tier(1, 48, fee_bp=1000), 5000, 3500, 175),     # 10% of 35.00 is 3.50; half of it 1.75
    (Tier(1, 48, fee_bp=1000), 10_000, 3500, 350),   # a 100% band keeps the tier's fee whole
    (Tier(1, 48, fee_bp=1000), 0, 3500, 0),          # a 0% band waives it
    (Tier(1, 48, fee_bp=1250), 3333, 1005, 42),      # 41.87... rounded once, half up
    (Tier(2, 4, fee_fixed=300), 5000, 3500, 150),
    (Tier(2, 4, fee_fixed=300), 5000, 100, 100),     # never more than the price
    (Tier(0, 168, fee_bp=0), 5000, 3500, 0),
])
def test_a_band_scales_the_tiers_fee(tier: Tier, scale: int, price: int, fee: int) -> None:
    assert scaled_fee(tier, price, scale) == fee


@given(price=st.integers(0, 10**7), bp=st.integers(0, 10_000), fixed=st.integers(0, 10**6),
       scale=st.integers(0, 10_000))
def test_a_band_never_charges_more_than_the_tier(price: int, bp: int, fixed: int, scale: int) -> None:
    for tier in (Tier(0, 1, fee_bp=bp), Tier(0, 1, fee_fixed=fixed)):
        assert 0 <= scaled_fee(tier, price, scale) <= tier.fee(price)


def test_the_receipt_text_names_the_band_and_the_fee_charged() -> None:
    ten = Tier(1, 48, fee_bp=1000)
    assert Demand(9, 10, HIGH).receipt_text(ten, "GBP") == "Demand band: 90%+ sold, fee 5%"
    assert Demand(9, 10, HIGH).detail_text(ten, "GBP") == "9 of 10 places sold: 50% of the tier's fee (10%)"
    assert Demand(2, 10, None).receipt_text(ten, "GBP") == "Demand band: none (20% sold), fee 10%"
    assert Demand(9, 10, HIGH).receipt_text(Tier(2, 4, fee_fixed=300), "GBP") == \
        "Demand band: 90%+ sold, fee 1.50 per ticket"


# -- the catalogue ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("bands", "policy", "where", "says"), [
    ([{"sold_at_least": 0.9, "fee_scale_percent": 50}, {"sold_at_least": 0.5, "fee_scale_percent": 80}], POLICY,
     "/events/0/refund_demand_bands/1/sold_at_least", "from the least sold to the most sold"),
    ([{"sold_at_least": 0.5, "fee_scale_percent": 80}, {"sold_at_least": 0.5, "fee_scale_percent": 50}], POLICY,
     "/events/0/refund_demand_bands/1/sold_at_least", "from the least sold to the most sold"),
    ([{"sold_at_least": 1.5, "fee_scale_percent": 50}], POLICY, "/events/0/refund_demand_bands/0/sold_at_least",
     "1.5"),
    ([{"sold_at_least": -0.1, "fee_scale_percent": 50}], POLICY, "/events/0/refund_demand_bands/0/sold_at_least",
     "-0.1"),
    ([{"sold_at_least": 0.12345, "fee_scale_percent": 50}], POLICY,
     "/events/0/refund_demand_bands/0/sold_at_least", "more than four decimals"),
    ([{"sold_at_least": 0.9, "fee_scale_percent": "150"}], POLICY,
     "/events/0/refund_demand_bands/0/fee_scale_percent", "between 0 and 100 percent"),
    ([{"sold_at_least": 0.9, "fee_scale_percent": 120}], POLICY,
     "/events/0/refund_demand_bands/0/fee_scale_percent", "120"),
    ([{"sold_at_least": 0.9}], POLICY, "/events/0/refund_demand_bands/0", "fee_scale_percent"),
    ([{"sold_at_least": "0.9", "fee_scale_percent": 50}], POLICY, "/events/0/refund_demand_bands/0/sold_at_least",
     "'0.9'"),
    ([{"sold_at_least": 0.9, "fee_scale_percent": 50}], None, "/events/0/refund_demand_bands",
     "has no refund_policy"),
])
def test_bad_bands_are_refused_whole_naming_the_place(terminal: Ctx, bands: list, policy: list | None,
                                                      where: str, says: str) -> None:
    before = rows(terminal.conn, "SELECT * FROM events ORDER BY id")
    with pytest.raises(BoxOfficeError) as err:
        import_catalog(terminal, catalog(event("busy", bands=bands, policy=policy)))
    assert err.value.code == "invalid_document"
    problems = "\n".join(err.value.details.get("errors", [err.value.message]))
    assert where in problems and says in problems, problems
    assert rows(terminal.conn, "SELECT * FROM events ORDER BY id") == before
    assert one(terminal.conn, "SELECT count(*) AS n FROM refund_demand_bands")["n"] == 0


def test_the_cli_refuses_a_bad_band_document_with_one_clear_line(cli: Any, terminal: Ctx,
                                                                 write_json: Any) -> None:
    bad = write_json(catalog(event("busy", bands=[{"sold_at_least": 0.9, "fee_scale_percent": 50},
                                                  {"sold_at_least": 0.8, "fee_scale_percent": 80}])))
    out = cli("catalog", "import", str(bad), db=terminal)
    assert out.exit_code == 2, out.output
    assert "/events/0/refund_demand_bands/1/sold_at_least" in out.stderr
    assert "from the least sold to the most sold" in out.stderr and "Traceback" not in out.output
    assert cli("event", "show", "busy", db=terminal).exit_code != 0  # nothing was imported


def test_event_show_lists_the_bands(cli: Any, terminal: Ctx) -> None:
    import_catalog(terminal, catalog(event("busy")))
    out = cli("event", "show", "busy", db=terminal)
    assert out.exit_code == 0, out.output
    assert "Demand bands (share of the tier's fee kept): 50%+ sold: 80%; 90%+ sold: 50%." in out.stdout
    data = cli("event", "show", "busy", "--json", db=terminal).json()
    assert data["demand_bands"] == [{"sold_at_least": "50%", "fee_scale": "80%"},
                                    {"sold_at_least": "90%", "fee_scale": "50%"}]


def test_a_republished_catalogue_replaces_the_bands(terminal: Ctx) -> None:
    import_catalog(terminal, catalog(event("busy")))
    import_catalog(terminal, catalog(event("busy", bands=[{"sold_at_least": 0.75, "fee_scale_percent": 25}])))
    assert [(r["sold_at_least_bp"], r["fee_scale_bp"]) for r in
            rows(terminal.conn, "SELECT * FROM refund_demand_bands ORDER BY position")] == [(7500, 2500)]
    import_catalog(terminal, catalog(event("busy", bands=None)))
    assert one(terminal.conn, "SELECT count(*) AS n FROM refund_demand_bands")["n"] == 0


# -- refunds through the services -------------------------------------------------------------------------------

def test_a_busy_event_keeps_a_lower_fee_than_a_quiet_one_at_the_same_price_and_time(venue: Ctx) -> None:
    busy, quiet = sale(venue, "busy", 1), sale(venue, "quiet", 1)  # busy: 9 of 10 sold; quiet: 1 of 10
    seen = preview(venue, busy["order"]["code"])
    assert seen["demand"] is not None and seen["demand"]["text"] == "Demand band: 90%+ sold, fee 5%"
    hot = refund(venue, RefundRequest(busy["order"]["code"]))
    cold = refund(venue, RefundRequest(quiet["order"]["code"]))
    assert (hot["amount"], hot["refund"]["fee"]) == (3325, 175)        # 10% tier, halved by the 90% band
    assert (cold["amount"], cold["refund"]["fee"]) == (3150, 350)      # 10% tier in full: below every band
    assert hot["refund"]["tier"] == cold["refund"]["tier"] == 1
    assert hot["demand"]["text"] == "Demand band: 90%+ sold, fee 5%"
    assert cold["demand"]["text"] == "Demand band: none (10% sold), fee 10%"
    assert "demand band: 90%+ sold, fee 5%" in hot["policy"]


def test_the_middle_band_and_the_fixed_tier(venue: Ctx, clock: Any, login: Any) -> None:
    sale(venue, "quiet", 4)
    mid = sale(venue, "quiet", 1)                                       # 5 of 10 sold: the 50% band
    assert refund(venue, RefundRequest(mid["order"]["code"]))["refund"]["fee"] == 280   # 80% of 3.50
    clock.set(START - timedelta(hours=10))                              # the 3.00-a-ticket tier
    login(venue, "sam")
    late = sale(venue, "busy", 1)
    out = refund(venue, RefundRequest(late["order"]["code"]))
    assert out["refund"]["fee"] == 150 and out["demand"]["text"] == "Demand band: 90%+ sold, fee 1.50 per ticket"


def test_a_band_that_changed_since_the_screen_refunds_nothing(venue: Ctx) -> None:
    sale(venue, "quiet", 3)
    other, mine = sale(venue, "quiet", 1), sale(venue, "quiet", 1)     # 5 of 10 sold: the 50% band
    shown = preview(venue, mine["order"]["code"])["amount"]
    assert shown == 3220                                                # 80% of the 3.50 fee kept
    refund(venue, RefundRequest(other["order"]["code"]))                # another counter: 4 of 10 now
    with pytest.raises(BoxOfficeError) as err:
        refund(venue, RefundRequest(mine["order"]["code"], expect_amount=shown))
    assert err.value.code == "conflict" and "demand band changed" in err.value.message
    assert one(venue.conn, "SELECT count(*) AS n FROM refunds")["n"] == 1


def test_the_journal_records_the_band_and_the_count(venue: Ctx) -> None:
    code = sale(venue, "busy", 1)["order"]["code"]
    refund(venue, RefundRequest(code))
    r = last_refund_entry(venue)["refund"]
    assert (r["demand_sold"], r["demand_capacity"], r["demand_band"], r["demand_from_bp"], r["demand_scale_bp"]) \
        == (9, 10, 1, 9000, 5000)
    assert (r["tier"], r["fee"], r["amount"]) == (1, 175, 3325)
    stored = one(venue.conn, "SELECT demand_sold, demand_band, demand_scale_bp FROM refunds WHERE id = ?",
                 (r["id"],))
    assert stored == {"demand_sold": 9, "demand_band": 1, "demand_scale_bp": 5000}


def test_an_event_without_bands_refunds_exactly_as_before(venue: Ctx) -> None:
    code = sale(venue, "plain", 1)["order"]["code"]
    out = refund(venue, RefundRequest(code))
    assert (out["amount"], out["refund"]["fee"], out["demand"]) == (3150, 350, None)
    r = last_refund_entry(venue)["refund"]
    assert not [k for k in r if k.startswith("demand")]  # the entry is what it was before bands existed
    assert "demand" not in out["policy"]


def test_outside_the_policy_no_band_applies(venue: Ctx, clock: Any, login: Any) -> None:
    code = sale(venue, "busy", 1)["order"]["code"]
    clock.set(START - timedelta(hours=1))
    login(venue, "sue")                                                 # a supervisor overrides
    out = refund(venue, RefundRequest(code, reason="cancelled"))
    assert (out["amount"], out["demand"], out["overrides"]) == (3500, None, ["outside_policy"])
    assert "demand_band" not in last_refund_entry(venue)["refund"]


def test_the_escpos_receipt_prints_the_band(venue: Ctx, tmp_path: Path) -> None:
    from escpos_decode import decode

    from boxoffice.services.printing import run_jobs

    sink = tmp_path / "printer.bin"
    venue.config.values["printer"] = f"file://{sink}"
    out = refund(venue, RefundRequest(sale(venue, "busy", 1)["order"]["code"]))
    assert [r["status"] for r in run_jobs(venue, out["jobs"])] == ["printed"]
    text = decode(sink.read_bytes()).text
    for expected in ("REFUND", "Demand band: 90%+ sold, fee 5%", "9 of 10 places sold", "-1.75", "33.25"):
        assert expected in text, (expected, text)


def test_the_pdf_receipt_prints_the_band_and_a_plain_one_does_not(venue: Ctx) -> None:
    import pypdfium2

    from boxoffice.services.printing import run_jobs

    def receipt(code: str) -> str:
        out = refund(venue, RefundRequest(code))
        result = run_jobs(venue, out["jobs"])[0]
        pdf = pypdfium2.PdfDocument(result["to"])
        return "\n".join(page.get_textpage().get_text_range() for page in pdf)

    banded = receipt(sale(venue, "busy", 1)["order"]["code"])
    assert "Demand band: 90%+ sold, fee 5%" in banded and "-1.75" in banded
    plain = receipt(sale(venue, "plain", 1)["order"]["code"])
    assert "Demand" not in plain and "-3.50" in plain


def test_a_waived_fee_prints_no_band(venue: Ctx, login: Any) -> None:
    import pypdfium2

    from boxoffice.services.printing import run_jobs

    code = sale(venue, "busy", 1)["order"]["code"]
    login(venue, "sue")
    out = refund(venue, RefundRequest(code, reason="cancelled", waive_fee=True))
    assert (out["amount"], out["overrides"]) == (3500, ["fee_waived"])
    pdf = pypdfium2.PdfDocument(run_jobs(venue, out["jobs"])[0]["to"])
    text = "\n".join(page.get_textpage().get_text_range() for page in pdf)
    assert "OVERRIDE" in text and "fee waived" in text and "Demand band" not in text


def test_the_audit_still_reconciles_after_banded_refunds(venue: Ctx, login: Any) -> None:
    from boxoffice.services.audit import verify

    refund(venue, RefundRequest(sale(venue, "busy", 1)["order"]["code"]))
    refund(venue, RefundRequest(sale(venue, "plain", 1)["order"]["code"]))
    login(venue, "ada")
    assert verify(venue)["ok"]


# -- refunds through the CLI ------------------------------------------------------------------------------------

def test_refund_json_and_screen_show_the_band(cli: Any, venue: Ctx) -> None:
    busy, plain = sale(venue, "busy", 1), sale(venue, "plain", 1)
    shown = cli("refund", busy["order"]["code"], db=venue, input="y\n")
    assert shown.exit_code == 0, shown.output
    assert "demand band: 90%+ sold, fee 5%" in shown.stdout                 # on the screen before confirming
    assert "Demand band: 90%+ sold, fee 5%" in shown.stdout                 # and with the result
    assert "REFUNDED 33.25 GBP" in shown.stdout
    quiet = cli("refund", sale(venue, "quiet", 1)["order"]["code"], "--yes", "--json", db=venue).json()
    assert (quiet["amount"], quiet["fee"]) == ("31.50", "3.50")
    assert quiet["demand"]["band"] is None and quiet["demand"]["sold"] == 1 and quiet["demand"]["capacity"] == 10
    data = cli("refund", plain["order"]["code"], "--yes", "--json", db=venue).json()
    assert (data["amount"], data["fee"], data["demand"]) == ("31.50", "3.50", None)


def test_refund_json_names_the_band(cli: Any, venue: Ctx) -> None:
    out = cli("refund", sale(venue, "busy", 1)["order"]["code"], "--yes", "--json", db=venue)
    assert out.exit_code == 0, out.output
    data = out.json()
    assert (data["amount"], data["fee"]) == ("33.25", "1.75")
    assert data["demand"] == {"band": 1, "sold_at_least": "90%", "fee_scale": "50%", "sold": 9, "capacity": 10,
                              "sold_percent": 90, "fee": "5%", "text": "Demand band: 90%+ sold, fee 5%"}


def test_the_refunds_report_groups_by_band(cli: Any, venue: Ctx, login: Any) -> None:
    for eid in ("busy", "quiet", "plain"):
        refund(venue, RefundRequest(sale(venue, eid, 1)["order"]["code"]))
    login(venue, "sue")
    out = cli("report", "refunds", "--by", "band", "--json", db=venue)
    assert out.exit_code == 0, out.output
    groups = {g["key"]: (g["count"], g["fee_text"], g["amount_text"]) for g in out.json()["groups"]}
    assert groups == {"90%+ sold, 50% of fee": (1, "1.75", "33.25"), "below every band": (1, "3.50", "31.50"),
                      "no band": (1, "3.50", "31.50")}
    table = cli("report", "refunds", "--by", "band", db=venue)
    assert table.exit_code == 0 and "90%+ sold, 50% of fee" in table.stdout


# -- the database -----------------------------------------------------------------------------------------------

def test_a_database_of_the_previous_schema_moves_forward_keeping_its_refunds(tmp_path: Path) -> None:
    from boxoffice.store import migrations
    from boxoffice.store.db import connect

    path = tmp_path / "old.db"
    old = connect(path, create=True, migrate=False)
    migrations.ensure_current(old, upto="0014_key_revocations")
    old.execute("INSERT INTO venue (id, name, timezone, currency) VALUES ('hall', 'Old Hall', 'Europe/London', 'GBP')")
    old.execute("INSERT INTO events (id, venue_id, name, starts_at, timezone, currency, updated_at) VALUES "
                "('ev1', 'hall', 'Old Show', '2026-12-08T19:30:00.000000Z', 'Europe/London', 'GBP', 'x')")
    old.execute("INSERT INTO refund_tiers (event_id, position, until_hours_before, fee_bp) VALUES ('ev1', 0, 48, 1000)")
    old.execute("INSERT INTO orders (id, code, event_id, total, currency, created_at) VALUES "
                "('o1', 'ABC-123', 'ev1', 3500, 'GBP', 'x')")
    old.execute("INSERT INTO operators (id, name, role, pin_hash, created_at) VALUES ('op1', 'ada', 'admin', 'h', 'x')")
    old.execute("INSERT INTO refunds (id, order_id, at, operator_id, reason_code, tier, amount, fee) VALUES "
                "('r1', 'o1', 'x', 'op1', 'customer_request', 0, 3150, 350)")
    old.commit()
    old.close()

    conn = connect(path)
    assert "0020_demand_fee" in migrations.applied(conn)
    r = conn.execute("SELECT amount, fee, tier, demand_sold, demand_band, demand_scale_bp FROM refunds").fetchone()
    assert tuple(r) == (3150, 350, 0, None, None, None)
    assert tuple(conn.execute("SELECT until_hours_before, fee_bp FROM refund_tiers").fetchone()) == (48, 1000)
    assert conn.execute("SELECT count(*) FROM refund_demand_bands").fetchone()[0] == 0
    conn.close()
