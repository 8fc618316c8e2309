"""One customer's data for a subject access request (`privacy export`): exactly that customer's orders with their
tickets, payments and pickups, as JSON on stdout or in a 0600 file; and each role shown only the customer data its
job needs (`pickup find`, `order show`): the pickup desk sees e-mail and phone, the door and a seller do not."""

from __future__ import annotations

import json
import stat
from typing import Any

import pytest
from pickup_fixtures import Central, Seat, setup_desk, web_order

from boxoffice.domain.masking import mask_email, mask_phone, masked, sees
from boxoffice.domain.tenders import Tender
from boxoffice.errors import BoxOfficeError
from boxoffice.services import privacy
from boxoffice.services.orders import order_details
from boxoffice.services.pickup import find, pick_up
from boxoffice.services.sales import SaleRequest, sell

DORA = {"customer_name": "Dorothea Halloway", "email": "Dora.Halloway@example.org", "phone": "+44 7700 900111"}
EMIL = {"customer_name": "Emil Strand", "email": "emil.strand@example.net", "phone": "+44 7700 900222"}


def _sale(ctx: Any, event: str, who: dict[str, str], n: int = 1) -> dict[str, Any]:
    return sell(ctx, SaleRequest(event_id=event, section_id="standing", counts={"adult": n},
                                 tenders=[Tender("cash", 100_000)], print_receipt=False, **who))


def test_export_gives_exactly_one_customers_data(terminal, cli, demo_events, login, tmp_path) -> None:
    gala, jazz = demo_events
    shop = Central.make()
    web = web_order(shop, gala, DORA["customer_name"], [Seat("standing", price="22.50")] * 2,
                    email=DORA["email"], phone=DORA["phone"])
    setup_desk(terminal, shop, {"dora": web, "emil": web_order(shop, gala, "Emil Web", [Seat("standing")],
                                                                email="emil.web@example.net")})
    first = {"order": {"code": web["code"], "total": 4500}}
    second = _sale(terminal, jazz, {**DORA, "email": "dora.halloway@EXAMPLE.org"})
    other = _sale(terminal, gala, EMIL)
    login(terminal, "pat")
    pick_up(terminal, web["code"])
    login(terminal, "sue")
    from boxoffice.services import complaints

    complaints.add(terminal, "queue", "waited 40 minutes at the desk", order=web["code"])
    complaints.add(terminal, "staff", "about another customer's order", order=other["order"]["code"])

    r = cli("privacy", "export", "--email", "dora.halloway@example.org", db=terminal)
    assert r.exit_code == 0, r.output
    data = r.json()
    assert sorted(o["code"] for o in data["orders"]) == sorted([first["order"]["code"], second["order"]["code"]])
    assert "Emil" not in r.stdout and other["order"]["code"] not in r.stdout
    gala_order = next(o for o in data["orders"] if o["code"] == first["order"]["code"])
    assert len(gala_order["tickets"]) == 2 and len(gala_order["pickups"]) == 2
    assert sum(t["price"] for t in gala_order["tickets"]) == first["order"]["total"]
    assert [c["note"] for c in gala_order["complaints"]] == ["waited 40 minutes at the desk"]  # hers only

    by_code = privacy.export(terminal, code=second["order"]["code"])
    assert [o["code"] for o in by_code["orders"]] == [o["code"] for o in data["orders"]]
    by_phone = privacy.export(terminal, phone="07700 900 222".replace("0", "+44 ", 1))
    assert [o["code"] for o in by_phone["orders"]] == [other["order"]["code"]]

    out = tmp_path / "dora.json"
    r = cli("privacy", "export", "--code", first["order"]["code"], "--out", str(out), db=terminal)
    assert r.exit_code == 0, r.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert json.loads(out.read_text())["orders"] == data["orders"]


def test_export_refusals(terminal, cli, login) -> None:
    login(terminal, "sue")
    assert cli("privacy", "export", "--email", "nobody@example.org", db=terminal).exit_code == 3
    assert cli("privacy", "export", db=terminal).exit_code == 2
    login(terminal, "pat")
    assert cli("privacy", "export", "--email", "nobody@example.org", db=terminal).exit_code == 5
    with pytest.raises(BoxOfficeError) as exc:
        privacy.export(terminal, email="x@example.org", phone="123456")
    assert exc.value.code == "permission_denied"


def test_each_role_sees_what_its_job_needs(terminal, cli, demo_events, login) -> None:
    gala, _ = demo_events
    sale = _sale(terminal, gala, DORA)
    code = sale["order"]["code"]

    login(terminal, "pat")  # the pickup desk finds by e-mail and sees it
    desk = cli("pickup", "find", "dora.halloway@example.org", "--json", db=terminal).json()["results"][0]
    assert desk["email"] == DORA["email"] and desk["phone_end"] == "0111" and desk["name"] == DORA["customer_name"]
    shown = cli("order", "show", code, "--json", db=terminal).json()
    assert shown["email"] == DORA["email"] and shown["phone"] == DORA["phone"]

    login(terminal, "dan")  # the door: the name only
    door = cli("order", "show", code, "--json", db=terminal)
    assert door.exit_code == 0, door.output
    assert DORA["email"] not in door.stdout and "900111" not in door.stdout
    assert door.json()["email"] == "D***@example.org" and door.json()["phone"] == "***11"
    assert door.json()["customer_name"] == DORA["customer_name"]
    found = find(terminal, code)["results"][0]
    assert found["email"] == "D***@example.org" and found["phone_end"] == "***"
    text = cli("pickup", "find", code, db=terminal)
    assert DORA["email"] not in text.stdout

    login(terminal, "sam")  # a seller: name, no e-mail or phone
    seller = order_details(terminal, code)
    assert seller["email"] == "D***@example.org" and seller["customer_name"] == DORA["customer_name"]

    login(terminal, "sue")
    assert order_details(terminal, code)["email"] == DORA["email"]


def test_the_masking_rule() -> None:
    assert sees("pickup", "email") and sees("supervisor", "phone") and not sees("door", "email")
    assert not sees(None, "phone") and sees("door", "name") and not sees("seller", "phone")
    assert mask_email("anna@example.org") == "a***@example.org" and mask_email("odd") == "***"
    assert mask_phone("+44 7700 900321") == "***21" and mask_phone("12") == "***"
    row = {"code": "X", "customer_name": "A", "email": None, "phone": "", "notes": "ID"}
    assert masked("door", row) == {"code": "X", "customer_name": "A", "email": None, "phone": "", "notes": "***"}
