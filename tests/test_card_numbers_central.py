"""The central service refuses a card number in free text it receives: a web-orders import, a pause, an admin's
reason or name, and a pushed journal entry (422 naming the entry and the field, for that terminal only). No 422
body repeats the number."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import T0
from sync_helpers import Central, sync

from boxoffice.errors import BoxOfficeError
from boxoffice.services.context import Ctx

pytest_plugins = ["sync_support"]

CARD = "4111 1111 1111 1111"
DIGITS = CARD.replace(" ", "")


def _no_number(*texts: str) -> None:
    for text in texts:
        flat = re.sub(r"[\s-]", "", text)
        assert DIGITS not in flat and "41111111" not in flat, text


def _refused_cli(result: Any, field: str) -> None:
    assert result.exit_code == 2, result.output
    assert "card number" in result.stderr and field in result.stderr, result.stderr
    _no_number(result.stdout, result.stderr)


def _web(event: str, **fields: Any) -> dict[str, Any]:
    return {"ref": f"card-{sorted(fields)[0]}", "event_id": event, "customer_name": "Web Buyer",
            "tickets": [{"section_id": "standing", "type": "adult"}], **fields}


def test_a_web_orders_import_with_a_card_number_is_refused_whole(central: Central, cli: Callable, tmp_path: Path,
                                                                 demo_events: tuple[str, str]) -> None:
    gala = demo_events[0]
    before = central.scalar("SELECT COUNT(*) FROM orders")
    for field, value in (("customer_name", f"Ann {CARD}"), ("phone", DIGITS), ("notes", f"paid with {CARD}"),
                         ("email", f"{DIGITS}@example.com")):
        with pytest.raises(BoxOfficeError) as refused:
            central.web_orders([_web(gala, **{field: value})], tmp_path)
        assert refused.value.code == "card_number_in_text" and f"/orders/0/{field}" in refused.value.message
        _no_number(refused.value.message)
    path = tmp_path / "web.json"
    path.write_text(json.dumps({"format": "boxoffice.web-orders/1", "orders": [_web(gala, notes=CARD)]}))
    _refused_cli(cli("central", "orders", "import", path, "--db", central.db_url, now=None), "web orders document")
    assert central.scalar("SELECT COUNT(*) FROM orders") == before


def test_central_pauses_and_admin_inputs_refuse_a_card_number(central: Central, cli: Callable, tmp_path: Path,
                                                              demo_events: tuple[str, str]) -> None:
    from boxoffice.central.services.pauses import pause
    from boxoffice.services.demo_catalog import demo_catalog

    _refused_cli(cli("central", "pause", "sales", "--reason", f"fraud on {CARD}", "--db", central.db_url, now=None),
                 "pause reason")
    with pytest.raises(BoxOfficeError) as refused:
        pause(central.db_url, f"fraud on {CARD}")
    assert refused.value.code == "card_number_in_text"
    _refused_cli(cli("central", "enroll-code", "--name", DIGITS, "--db", central.db_url, now=None), "terminal name")
    doc = copy.deepcopy(demo_catalog(T0.date()))
    doc["events"][0]["name"] = f"Gala {CARD}"
    with pytest.raises(BoxOfficeError) as published:
        central.publish(doc, tmp_path)
    assert published.value.code == "card_number_in_text" and "catalogue" in published.value.message
    _no_number(published.value.message)


def _push_card_sale(ctx: Ctx, event: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A sale with a card number in its name, as a terminal of an older release (no check) would journal it."""
    from boxoffice.domain.tenders import Tender
    from boxoffice.services import sales

    with monkeypatch.context() as m:
        m.setattr(sales, "_clean", lambda value, what: value)
        out = sales.sell(ctx, sales.SaleRequest(event_id=event, section_id="standing", counts={"adult": 1},
                                                tenders=[Tender("cash", 100_00)], customer_name=f"Ann {CARD}",
                                                print_receipt=False))
    return out["order"]["code"]


def test_a_pushed_entry_with_a_card_number_is_refused_for_that_terminal_only(
        central: Central, terminals: Callable[..., list[Ctx]], cli: Callable, demo_events: tuple[str, str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from boxoffice.services.sync.rounds import credentials

    gala = demo_events[0]
    old, good = terminals(2)
    sync(old)
    sync(good)
    code = _push_card_sale(old, gala, monkeypatch)
    seq = old.conn.execute("SELECT seq FROM journal WHERE kind = 'sale' ORDER BY seq DESC").fetchone()[0]
    refused = cli("sync", db=old)
    assert refused.exit_code == 8, refused.output
    assert "card_number_in_text" in refused.stderr and "/payload/order/customer_name" in refused.stderr
    assert f"seq {seq}, sale" in refused.stderr
    _no_number(refused.stdout, refused.stderr)
    as_json = cli("sync", "--json", db=old)
    _no_number(as_json.stdout, as_json.stderr)
    assert central.scalar("SELECT COUNT(*) FROM orders WHERE code = ?", (code,)) == 0
    # the raw answer: 422, the entry and the field, never the number
    url, token = credentials(old)
    entries = [dict(r) for r in old.conn.execute("SELECT * FROM journal WHERE seq = ?", (seq,))]
    body = {"entries": [{k: e[k] for k in ("id", "terminal_id", "seq", "kind", "operator_id", "at", "payload",
                                           "prev_hash", "hash")} for e in entries]}
    answer = httpx.post(f"{url}/v1/journal", json=body, headers={"Authorization": f"Bearer {token}"})
    _no_number(answer.text)
    assert answer.status_code == 422, answer.text
    err = answer.json()["error"]
    assert err["code"] == "card_number_in_text" and err["pointer"] == "/entries/0/payload/order/customer_name"
    # another terminal syncs on as ever
    assert cli("sync", db=good).exit_code == 0


def test_no_refusal_of_the_central_service_repeats_a_card_number(central: Central,
                                                                 terminals: Callable[..., list[Ctx]]) -> None:
    from boxoffice.services.sync.rounds import credentials

    (ctx,) = terminals(1)
    url, token = credentials(ctx)
    auth = {"Authorization": f"Bearer {token}"}
    bad_seq = httpx.post(f"{url}/v1/journal", headers=auth,
                         json={"entries": [{"id": "x", "terminal_id": ctx.terminal["id"], "seq": CARD, "kind": "sale",
                                            "operator_id": None, "at": DIGITS, "payload": {}, "prev_hash": "0",
                                            "hash": "0"}]})
    assert bad_seq.status_code == 422
    _no_number(bad_seq.text)
    bad_query = httpx.get(f"{url}/v1/journal", params={"after": DIGITS + "x"}, headers=auth)
    assert bad_query.status_code == 422
    _no_number(bad_query.text)


@pytest.mark.parametrize("text", [
    "\\u0034\\u0031\\u0031\\u0031 1111 1111 1111",  # digits written as escapes: the text shows only twelve
    "4111\\u00a01111\\u00a01111\\u00a01111",  # the separators written as escapes
    '\\"Ada\\" 4111 1111 1111 1111',  # an escape elsewhere in the text, the number as typed
    "\uff14\uff11\uff11\uff11 \uff11\uff11\uff11\uff11 \uff11\uff11\uff11\uff11 \uff11\uff11\uff11\uff11",  # full-width
    "4111 1111 1111 1111",
])
def test_a_pushed_payload_is_scanned_whatever_its_text_escapes(text: str) -> None:
    from boxoffice.central.errors import CentralError
    from boxoffice.central.services.free_text import refuse_in_entries

    payload = '{"order":{"customer_name":"' + text + '","id":"o-1"},"tickets":[]}'
    assert "4111" in json.loads(payload)["order"]["customer_name"].replace("\uff14\uff11\uff11\uff11", "4111")
    plain = {"seq": 1, "kind": "sale", "payload": '{"order":{"customer_name":"Ada","id":"o-1"},"tickets":[]}'}
    refuse_in_entries([plain])  # nothing to refuse
    with pytest.raises(CentralError) as refused:
        refuse_in_entries([plain, {"seq": 2, "kind": "sale", "payload": payload}])
    assert refused.value.status == 422 and refused.value.code == "card_number_in_text"
    assert refused.value.body()["error"]["pointer"] == "/entries/1/payload/order/customer_name"


def test_a_pushed_payload_nested_too_deeply_to_scan_is_refused_not_a_server_error(
        central: Central, terminals: Callable[..., list[Ctx]], cli: Callable) -> None:
    """A payload neither JSON reader can read for its depth could hide a card number from the scan: it is refused
    with a 422 naming the entry (a 500 before, on every retry), and the terminal's other pushes are not harmed."""
    from boxoffice.domain.chain import entry_hash
    from boxoffice.domain.ids import uuid7
    from boxoffice.services.sync.rounds import credentials

    (ctx,) = terminals(1)
    sync(ctx)
    head = dict(ctx.conn.execute("SELECT * FROM journal ORDER BY seq DESC LIMIT 1").fetchone())
    payload = '{"customer_name":' + "[" * 5000 + '"' + CARD + '"' + "]" * 5000 + "}"
    entry = {"id": uuid7(), "terminal_id": ctx.terminal["id"], "seq": head["seq"] + 1, "kind": "sale",
             "operator_id": None, "at": head["at"], "payload": payload, "prev_hash": head["hash"]}
    entry["hash"] = entry_hash(head["hash"], id=entry["id"], seq=entry["seq"], terminal_id=entry["terminal_id"],
                               kind="sale", operator_id=None, at=entry["at"], payload=payload)
    url, token = credentials(ctx)
    before = central.scalar("SELECT COUNT(*) FROM journal")
    answer = httpx.post(f"{url}/v1/journal", json={"entries": [entry]}, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 422, answer.text
    err = answer.json()["error"]
    assert err["code"] == "invalid_document" and "too deeply" in err["message"], err
    assert "/entries/0/payload" in str(err)
    _no_number(answer.text)
    assert central.scalar("SELECT COUNT(*) FROM journal") == before
    assert cli("sync", db=ctx).exit_code == 0  # its own journal, untouched, still syncs
