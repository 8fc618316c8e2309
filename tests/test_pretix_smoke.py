"""The pretix the bridge tests run against is real and usable: an event made through the kit sells a web order that
pretix lists and counts against the quota, seats come from a seating plan, and a sig1 event issues signed secrets."""

from __future__ import annotations

import secrets

from pretix_kit import availability, buy, cancel, checkin_list, make_event, regenerate_secrets
from pretix_server import PretixServer


def _slug(what: str) -> str:
    return f"pxfix-{what}-{secrets.token_hex(3)}"


def test_a_web_order_is_listed_and_takes_from_the_quota(pretix_server: PretixServer) -> None:
    made = make_event(pretix_server, slug := _slug("smoke"), quotas={"stalls": 10, "balcony": 4},
                      items={"adult": ("25.00", ["stalls"]), "child": ("12.50", ["stalls", "balcony"])})
    assert made["event"]["live"] is True
    assert made["event"]["currency"] == "EUR"
    stalls = made["quotas"]["stalls"]
    assert availability(pretix_server, slug, stalls)["available_number"] == 10

    order = buy(pretix_server, slug, made["items"]["adult"], 3)

    assert order["status"] == "p"
    assert len({p["secret"] for p in order["positions"]}) == 3
    with pretix_server.client() as client:
        listed = client.get(f"events/{slug}/orders/").json()["results"]
    assert [o["code"] for o in listed] == [order["code"]]
    assert listed[0]["total"] == "75.00"
    assert availability(pretix_server, slug, stalls)["available_number"] == 7
    assert availability(pretix_server, slug, made["quotas"]["balcony"])["available_number"] == 4
    assert checkin_list(pretix_server, slug, "door")["id"] == checkin_list(pretix_server, slug, "door")["id"]
    assert pretix_server.token_file.stat().st_mode & 0o777 == 0o600


def test_a_seated_event_sells_a_seat_once(pretix_server: PretixServer) -> None:
    made = make_event(pretix_server, slug := _slug("seats"), quotas={"stalls": 10},
                      items={"adult": ("30.00", ["stalls"])}, seating=True)
    assert sorted((s["row"], s["number"]) for s in made["seats"])[:2] == [("A", "1"), ("A", "2")]
    assert len(made["seats"]) == 10
    assert {s["item"] for s in made["seats"]} == {made["items"]["adult"]}

    seat = made["seats"][0]["guid"]
    order = buy(pretix_server, slug, made["items"]["adult"], seat=seat)

    assert order["positions"][0]["seat"]["seat_guid"] == seat
    try:
        buy(pretix_server, slug, made["items"]["adult"], seat=seat)
    except AssertionError as refused:
        assert "seat" in str(refused).lower()
    else:
        raise AssertionError("pretix sold the same seat twice")


def test_a_sig1_event_publishes_its_key_and_signs_secrets(pretix_server: PretixServer) -> None:
    made = make_event(pretix_server, slug := _slug("sig1"), sig1=True)
    assert made["event"]["valid_keys"]["pretix_sig1"] == []  # the key pair is made with the first signed ticket
    order = buy(pretix_server, slug, made["items"]["adult"])
    with pretix_server.client() as client:
        event = client.get(f"events/{slug}/").json()
    assert event["valid_keys"]["pretix_sig1"]
    assert len(order["positions"][0]["secret"]) > 40  # a signed secret, not a 32-character random one


def test_box_office_shaped_orders_and_revoked_secrets(pretix_server: PretixServer) -> None:
    """What the bridge relies on: a voucher that blocks quota, an order paid "boxoffice" redeeming it, and pretix
    listing a ticket's old secret once it is replaced or its order canceled (pretix keeps that list for signed
    secrets only: a random secret is checked online, a pretix_sig1 one offline against the list)."""
    made = make_event(pretix_server, slug := _slug("bo"), quotas={"stalls": 5}, items={"adult": ("20.00", ["stalls"])},
                      sig1=True)
    stalls = made["quotas"]["stalls"]
    with pretix_server.client() as client:
        voucher = client.post(f"events/{slug}/vouchers/", json={
            "code": "BOXOFFICE-T1", "max_usages": 2, "quota": stalls, "block_quota": True, "tag": "boxoffice",
            "allow_ignore_quota": False, "price_mode": "none"}).json()
    assert availability(pretix_server, slug, stalls)["available_number"] == 3

    order = buy(pretix_server, slug, made["items"]["adult"], 2, payment_provider="boxoffice", voucher=voucher["code"])

    assert order["payment_provider"] == "boxoffice"
    assert availability(pretix_server, slug, stalls)["available_number"] == 3  # the voucher's places were used
    old = order["positions"][0]["secret"]
    regenerate_secrets(pretix_server, slug, order["code"])
    web = buy(pretix_server, slug, made["items"]["adult"])
    assert cancel(pretix_server, slug, web["code"])["status"] == "c"
    with pretix_server.client() as client:
        revoked = {r["secret"] for r in client.get(f"events/{slug}/revokedsecrets/").json()["results"]}
    assert {old, web["positions"][0]["secret"]} <= revoked
