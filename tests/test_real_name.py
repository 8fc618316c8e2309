"""Real-name tickets on one terminal (docs/real-name.md): a sale names one holder a ticket, the door shows the holder
and checks an ID against the ticket, a holder row edited by hand is caught, a supervisor changes a holder (the old
ticket refused, the new one admitted) up to the event's cap, and a real-name order is handed out only against a
holder's ID. Through the services and the CLI."""

from __future__ import annotations

import json
import sqlite3

import pytest
from pickup_fixtures import Central, Seat, orders_doc, web_order
from realname_kit import JANE, LI, LI_NUMBER, WANG, WANG_NUMBER, make_real_name, sell_named

from boxoffice.domain.holders import parse_holder
from boxoffice.errors import EXIT_STATUSES, BoxOfficeError
from boxoffice.services.door import door_event, scan
from boxoffice.services.holder_change import change_holder
from boxoffice.services.holders import check_id
from boxoffice.services.sales import SaleRequest, sell

GALA_EVENING = "2026-12-08T19:00:00Z"


def _status(code: str) -> int:
    return EXIT_STATUSES[code][0]


@pytest.fixture
def gala(terminal) -> str:  # noqa: ANN001
    return make_real_name(terminal, changes_max=1)


def _door(terminal, clock, login, token: str, event: str) -> dict:  # noqa: ANN001
    clock.set(GALA_EVENING)
    login(terminal, "dan")
    return dict(scan(terminal, token, door_event(terminal, event)))


# --- the sale -----------------------------------------------------------------------------------------------


def test_a_real_name_sale_keeps_each_holder_without_the_id_number(terminal, gala) -> None:  # noqa: ANN001
    out = sell_named(terminal, gala, LI, JANE)
    assert [h["line"] for h in out["holders"]] == ["李小明 · ID ****002X", "Jane Doe · ID ****5678"]
    rows = [dict(r) for r in terminal.conn.execute(
        "SELECT ticket_id, name, id_kind, id_last4, id_hash, changes FROM ticket_holders ORDER BY name")]
    assert [(r["name"], r["id_kind"], r["id_last4"], r["changes"]) for r in rows] == [
        ("Jane Doe", "passport", "5678", 0), ("李小明", "resident", "002X", 0)]
    assert {r["ticket_id"] for r in rows} == {t["id"] for t in out["tickets"]}
    # The number is nowhere in the database: not in the holder rows, not in the journal.
    dump = "\n".join(terminal.conn.iterdump())
    assert LI_NUMBER not in dump and "E12345678" not in dump
    sale = json.loads(terminal.conn.execute("SELECT payload FROM journal WHERE kind = 'sale'").fetchone()[0])
    assert [h["id_last4"] for h in sale["holders"]] == ["002X", "5678"]


def test_a_real_name_sale_without_a_holder_for_every_ticket_is_refused(terminal, gala) -> None:  # noqa: ANN001
    from boxoffice.domain.tenders import Tender

    for holders in ([], [LI]):
        with pytest.raises(BoxOfficeError) as err:
            sell(terminal, SaleRequest(event_id=gala, section_id="standing", counts={"adult": 2},
                                       tenders=[Tender("card", card_last4="4242")],
                                       holders=[parse_holder(h) for h in holders]))
        assert err.value.code == "holder_required"
    assert terminal.conn.execute("SELECT count(*) FROM orders").fetchone()[0] == 0


def test_holder_input_is_checked_and_never_echoed(terminal, gala) -> None:  # noqa: ANN001
    bad_digit = "李小明,resident,110105194912310021"
    for spec, code in ((bad_digit, "bad_id_number"), ("李小明,licence,12345", "bad_input"),
                       ("\x1b[2J,passport,E1234567", "bad_input"), ("李小明 only", "bad_input")):
        with pytest.raises(BoxOfficeError) as err:
            parse_holder(spec)
        assert err.value.code == code
        assert "110105194912310021" not in err.value.message
    with pytest.raises(BoxOfficeError) as err:  # holders for an event that is not real-name
        sell_named(terminal, "jazz-1215", LI, section="standing")
    assert err.value.code == "bad_input" and "not a real-name event" in err.value.message


def test_the_cli_sells_with_holders_and_refuses_a_count_mismatch(terminal, gala, cli) -> None:  # noqa: ANN001
    ok = cli("sell", gala, "-s", "standing", "-t", "adult=2", "--card", "4242", "--holder", LI, "--holder", JANE,
             "--json", db=terminal)
    assert ok.exit_code == 0, ok.stderr
    assert [h["line"] for h in ok.json()["holders"]] == ["李小明 · ID ****002X", "Jane Doe · ID ****5678"]
    text = cli("sell", gala, "-s", "standing", "-t", "adult=1", "--card", "4242", "--holder", WANG, db=terminal)
    assert text.exit_code == 0 and "holder 王芳 · ID ****0024" in text.stdout
    short = cli("sell", gala, "-s", "standing", "-t", "adult=2", "--card", "4242", "--holder", LI, db=terminal)
    assert short.exit_code == _status("holder_required")
    assert "1 holder(s) given for 2 ticket(s)" in short.stderr
    helped = cli("sell", "--help")
    assert "--holder" in helped.stdout and "NAME,KIND,NUMBER" in helped.stdout


# --- the door -----------------------------------------------------------------------------------------------


def test_the_door_shows_the_holder_and_checks_an_id(terminal, gala, clock, login) -> None:  # noqa: ANN001
    out = sell_named(terminal, gala, LI, WANG)
    li, wang = (t["token"] for t in out["tickets"])
    answer = _door(terminal, clock, login, li, gala)
    assert answer["result"] == "admit" and answer["holder"]["line"] == "李小明 · ID ****002X"
    assert check_id(terminal, li, LI_NUMBER)["match"] is True
    assert check_id(terminal, li, "110105 19491231 002x")["match"] is True  # as typed with spaces, lower-case x
    with pytest.raises(BoxOfficeError) as err:
        check_id(terminal, li, WANG_NUMBER)  # a genuine ID, but the other holder's
    assert err.value.code == "holder_mismatch" and "NO MATCH" in err.value.message
    assert WANG_NUMBER not in err.value.message
    with pytest.raises(BoxOfficeError) as err:
        check_id(terminal, wang, "not a number")
    assert err.value.code == "holder_mismatch"


def test_the_door_cli_shows_the_holder_and_says_match_or_no_match(terminal, gala, clock, login, cli) -> None:  # noqa: ANN001
    token = sell_named(terminal, gala, LI)["tickets"][0]["token"]
    clock.set(GALA_EVENING)
    login(terminal, "dan")
    shown = cli("scan", "check", "--event", gala, input=token + "\n", db=terminal)
    assert shown.exit_code == 0 and "ADMIT" in shown.stdout
    assert "HOLDER 李小明 · ID ****002X: compare with the ID document" in shown.stdout
    match = cli("scan", "check-id", token, "--id-number", LI_NUMBER, db=terminal)
    assert match.exit_code == 0 and "MATCH  李小明 · ID ****002X" in match.stdout
    no = cli("scan", "check-id", token, "--id-number", WANG_NUMBER, "--json", db=terminal)
    assert no.exit_code == _status("holder_mismatch")
    assert no.json()["error"]["code"] == "holder_mismatch" and WANG_NUMBER not in no.stdout


@pytest.mark.parametrize("edit", ["UPDATE ticket_holders SET name = 'Someone Else'",
                                  "UPDATE ticket_holders SET id_hash = (SELECT id_hash FROM ticket_holders h2"
                                  " WHERE h2.ticket_id <> ticket_holders.ticket_id)",
                                  "UPDATE ticket_holders SET id_last4 = '9999'",
                                  "DELETE FROM ticket_holders"])
def test_a_holder_row_edited_by_hand_is_refused_at_the_door(terminal, gala, clock, login, edit: str) -> None:  # noqa: ANN001
    out = sell_named(terminal, gala, LI, WANG)
    raw = sqlite3.connect(terminal.config.db_path)  # the file, edited by hand behind the terminal's back
    with raw:
        raw.execute(edit + " WHERE ticket_id = ?", (out["tickets"][0]["id"],))
    raw.close()
    answer = _door(terminal, clock, login, out["tickets"][0]["token"], gala)
    assert answer["result"] == "refused"
    assert answer["code"] == ("holder_required" if edit.startswith("DELETE") else "holder_tampered")
    assert _door(terminal, clock, login, out["tickets"][1]["token"], gala)["result"] == "admit"  # untouched


def test_a_real_name_token_still_fits_a_version_7_qr_at_m(terminal, gala) -> None:  # noqa: ANN001
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    tokens = [t["token"] for t in sell_named(terminal, gala, LI, JANE, section="stalls")["tickets"]]
    tokens += [t["token"] for t in sell_named(terminal, gala, WANG, section="standing")["tickets"]]
    for token in tokens:
        qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, version=None)
        qr.add_data(token)
        qr.make(fit=True)
        assert qr.version <= 7  # the holder travels beside the token, so the QR is what it was (version 6)


# --- changing a holder ----------------------------------------------------------------------------------------


def test_a_holder_change_revokes_the_old_ticket_and_admits_the_new(terminal, gala, clock, login) -> None:  # noqa: ANN001
    out = sell_named(terminal, gala, LI, section="stalls")
    old = out["tickets"][0]
    login(terminal, "sue")
    changed = change_holder(terminal, old["id"], parse_holder(WANG))
    new = changed["ticket"]
    assert changed["old_holder"]["line"] == "李小明 · ID ****002X" and changed["holder"]["line"] == "王芳 · ID ****0024"
    assert (new["row"], new["seat"]) == (old["row"], old["seat"]) and new["id"] != old["id"]
    assert changed["changes"] == 1 and changed["changes_left"] == 0 and changed["jobs"]
    seat = terminal.conn.execute("SELECT ticket_id FROM seats WHERE label = ?", (f"{old['row']}{old['seat']}",))
    assert seat.fetchone()[0] == new["id"]
    entry = json.loads(terminal.conn.execute("SELECT payload FROM journal WHERE kind = 'holder_change'")
                       .fetchone()[0])
    assert entry["old_tickets"] == [old["id"]] and [t["id"] for t in entry["tickets"]] == [new["id"]]
    assert WANG_NUMBER not in json.dumps(entry)
    from boxoffice.services.reports import sales

    assert sales(terminal)["total"]["count"] == 1  # the place is sold once, whoever holds it
    assert _door(terminal, clock, login, old["token"], gala)["code"] == "revoked"
    admitted = _door(terminal, clock, login, new["token"], gala)
    assert admitted["result"] == "admit" and admitted["holder"]["line"] == "王芳 · ID ****0024"
    from boxoffice.services.audit import verify

    login(terminal, "ada")
    assert verify(terminal)["ok"]  # the journal accounts for the new ticket and the revocation


def test_holder_changes_stop_at_the_events_cap_and_need_a_supervisor(terminal, gala, login) -> None:  # noqa: ANN001
    ticket = sell_named(terminal, gala, LI)["tickets"][0]
    login(terminal, "sam")
    with pytest.raises(BoxOfficeError) as err:
        change_holder(terminal, ticket["id"], parse_holder(WANG))
    assert err.value.code == "permission_denied"
    first = change_holder(terminal, ticket["id"], parse_holder(WANG), supervisor=("sue", "222222"))
    assert first["approved_by"] == "sue"
    with pytest.raises(BoxOfficeError) as err:
        change_holder(terminal, first["ticket"]["id"], parse_holder(JANE), supervisor=("sue", "222222"))
    assert err.value.code == "holder_changes_exhausted" and "(1)" in err.value.message
    with pytest.raises(BoxOfficeError) as err:  # the old ticket is no longer anyone's
        change_holder(terminal, ticket["id"], parse_holder(JANE), supervisor=("sue", "222222"))
    assert err.value.code == "revoked"


def test_change_holder_through_the_cli(terminal, gala, login, cli) -> None:  # noqa: ANN001
    ticket = sell_named(terminal, gala, LI)["tickets"][0]
    login(terminal, "sue")
    out = cli("ticket", "change-holder", ticket["token"], "--holder", WANG, "--json", db=terminal)
    assert out.exit_code == 0, out.stderr
    body = out.json()
    assert body["old_ticket_id"] == ticket["id"] and body["holder"]["line"] == "王芳 · ID ****0024"
    again = cli("ticket", "change-holder", body["ticket"]["id"], "--holder", JANE, db=terminal)
    assert again.exit_code == _status("holder_changes_exhausted")
    assert "as often as Winter Gala allows (1)" in again.stderr
    assert "change-holder" in cli("ticket", "--help").stdout


# --- pickup ---------------------------------------------------------------------------------------------------


def _web_real_name_order(terminal, gala: str) -> dict:  # noqa: ANN001
    """A web order for the real-name gala, its holders hashed with the venue secret the terminal shares (adopted
    here as the central service's) and bound with the central key that signed the tickets."""
    from boxoffice.domain.customer_ids import id_hash
    from boxoffice.services.venue_secret import adopt_central
    from boxoffice.services.web_orders import import_keys, import_orders
    from boxoffice.tickets import holder_binding

    secret = "ab" * 32
    adopt_central(terminal, secret)
    central = Central.make()
    order = web_order(central, gala, "王小明", [Seat("standing", price="22.50")] * 2)
    for t, (name, kind, number) in zip(order["tickets"], [("李小明", "resident", LI_NUMBER),
                                                           ("王芳", "resident", WANG_NUMBER)], strict=True):
        digest, last4 = id_hash(bytes.fromhex(secret), kind, number)
        fields = holder_binding.Holder(name, kind, digest, last4)
        t["holder"] = {"name": name, "id_kind": kind, "id_hash": digest, "id_last4": last4,
                       "binding": holder_binding.sign(t["id"], t["token"], fields, central.private)}
    import_keys(terminal, central.keys_doc())
    import_orders(terminal, orders_doc([order]))
    return order


def test_a_real_name_order_is_handed_out_only_against_a_holders_id(terminal, gala, login) -> None:  # noqa: ANN001
    from boxoffice.services.pickup import pick_up

    order = _web_real_name_order(terminal, gala)
    login(terminal, "pat")
    for given, code in (({}, "holder_required"), ({"id_last4": "1234"}, "holder_mismatch"),
                        ({"id_number": "110101199003074477"}, "holder_mismatch")):
        with pytest.raises(BoxOfficeError) as err:
            pick_up(terminal, order["code"], print_now=False, **given)
        assert err.value.code == code
    assert terminal.conn.execute("SELECT count(*) FROM pickups").fetchone()[0] == 0
    out = pick_up(terminal, order["code"], count=1, print_now=False, id_last4="0024")
    assert out["holder"]["line"] == "王芳 · ID ****0024"
    rest = pick_up(terminal, order["code"], print_now=False, id_number=LI_NUMBER)
    assert rest["holder"]["line"] == "李小明 · ID ****002X" and len(rest["handed_out"]) == 1


def test_pickup_cli_asks_for_the_holders_id(terminal, gala, login, cli) -> None:  # noqa: ANN001
    order = _web_real_name_order(terminal, gala)
    login(terminal, "pat")
    bare = cli("pickup", "give", order["code"], "--yes", db=terminal)
    assert bare.exit_code == _status("holder_required") and "--id-last4" in bare.stderr
    wrong = cli("pickup", "give", order["code"], "--id-last4", "0000", "--yes", db=terminal)
    assert wrong.exit_code == _status("holder_mismatch")
    ok = cli("pickup", "give", order["code"], "--id-last4", "002x", "--yes", db=terminal,
             env={"BOXOFFICE_PRINTER": "pdf:///" + str(terminal.config.db_path.parent / "pdf")})
    assert "HANDED OUT" in ok.stdout and "ID checked: 李小明 · ID ****002X" in ok.stdout


def test_a_forged_holder_on_a_web_order_is_refused_at_import(terminal, gala) -> None:  # noqa: ANN001
    from boxoffice.services.web_orders import import_keys, import_orders

    central = Central.make()
    order = web_order(central, gala, "王小明", [Seat("standing", price="22.50")])
    order["tickets"][0]["holder"] = {"name": "李小明", "id_kind": "resident", "id_hash": "0" * 64,
                                     "id_last4": "002X", "binding": "1" * 128}
    import_keys(terminal, central.keys_doc())
    with pytest.raises(BoxOfficeError) as err:
        import_orders(terminal, orders_doc([order]))
    assert err.value.code == "invalid_document" and "binding" in json.dumps(err.value.details)


def test_a_real_name_ticket_prints_its_holder(terminal, gala) -> None:  # noqa: ANN001
    from boxoffice.printing.documents import ticket_layout
    from boxoffice.printing.layout import Columns
    from boxoffice.services.printing import _ticket_views
    from boxoffice.store import orders as order_store

    out = sell_named(terminal, gala, LI, JANE)
    order = order_store.order_by_id(terminal.conn, out["order"]["id"])
    views = _ticket_views(terminal, order, [t["id"] for t in out["tickets"]], copy=False)
    holders = [[b for b in ticket_layout(v) if isinstance(b, Columns) and b.left == "Holder"] for v in views]
    assert [[b.right for b in h] for h in holders] == [["李小明 · ID ****002X"], ["Jane Doe · ID ****5678"]]


def test_an_exchange_keeps_the_holders_one_for_one(terminal, gala, clock, login) -> None:  # noqa: ANN001
    from boxoffice.domain.tenders import Tender
    from boxoffice.services.exchanges import ExchangeRequest, exchange

    sold = sell_named(terminal, gala, LI, WANG, section="standing")
    moved = exchange(terminal, ExchangeRequest(code=sold["order"]["code"], section_id="stalls",
                                               tenders=[Tender("card", card_last4="4242")]))
    new = [t["token"] for t in moved["tickets"]]
    answers = [_door(terminal, clock, login, token, gala) for token in new]
    assert [a["holder"]["line"] for a in answers] == ["李小明 · ID ****002X", "王芳 · ID ****0024"]
    login(terminal, "ada")
    other = sell_named(terminal, gala, JANE, section="standing")
    with pytest.raises(BoxOfficeError) as err:  # one ticket cannot become two holders
        exchange(terminal, ExchangeRequest(code=other["order"]["code"], counts={"adult": 2},
                                           tenders=[Tender("card", card_last4="4242")]))
    assert err.value.code == "holder_required"


def test_the_counter_screen_sells_with_holders_and_shows_them_at_the_door(terminal, gala, clock, login) -> None:  # noqa: ANN001
    from boxoffice.services.counter import Counter

    c = Counter(terminal, gala)
    refused = c.handle("s standing adult=2 card 4242 / " + LI)
    assert any("1 holder(s) given for 2 ticket(s)" in ln.text for ln in refused.lines)
    sold = c.handle(f"s standing adult=2 card 4242 / {LI} / {JANE}")
    assert any(ln.text.startswith("SOLD") for ln in sold.lines), [ln.text for ln in sold.lines]
    order = terminal.conn.execute("SELECT id FROM orders").fetchone()[0]
    token = terminal.conn.execute("SELECT token FROM tickets WHERE order_id = ? ORDER BY rowid", (order,)).fetchone()[0]
    clock.set(GALA_EVENING)
    login(terminal, "dan")
    c.handle("d")
    admitted = c.handle(token)
    assert [ln.text for ln in admitted.lines][-1] == "HOLDER 李小明 · ID ****002X: compare with the ID document"


def test_an_event_with_sales_cannot_become_real_name_by_a_local_import(terminal) -> None:  # noqa: ANN001
    from boxoffice.domain.tenders import Tender

    sell(terminal, SaleRequest(event_id="gala-1208", section_id="standing", counts={"adult": 1},
                               tenders=[Tender("card", card_last4="4242")]))
    with pytest.raises(BoxOfficeError) as err:
        make_real_name(terminal)
    assert err.value.code == "conflict" and "cannot become real-name" in err.value.message


def test_a_ticket_given_a_new_holder_is_refunded_at_what_was_paid(terminal, gala, login) -> None:  # noqa: ANN001
    from boxoffice.services.audit import verify
    from boxoffice.services.refunds import RefundRequest, refund

    out = sell_named(terminal, gala, LI, WANG, section="standing")
    login(terminal, "sue")
    changed = change_holder(terminal, out["tickets"][0]["id"], parse_holder(JANE))
    done = refund(terminal, RefundRequest(code=out["order"]["code"], tickets=[changed["ticket"]["id"]],
                                          print_receipt=False))
    assert done["refund"]["amount"] == 2250  # the new ticket holds the old one's share, not half of it
    assert verify(terminal)["ok"]
