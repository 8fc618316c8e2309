"""Helpers for the pickup-desk and door tests: a "central" signing key, web orders signed by it, generated events.

Web orders are made the way the central service would make them: a W-tag order code, a UUIDv7 per ticket, and a
token signed with the central key, which the terminal learns through `keys import`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from boxoffice.domain.codes import make_order_code
from boxoffice.domain.ids import uuid7
from boxoffice.tickets import keys
from boxoffice.tickets.token import TicketClaims, sign_token

LATIN_FIRST = ["Anna", "Ben", "Clara", "David", "Emma", "Felix", "Grace", "Hugo", "Ivy", "Jack", "Kate", "Liam",
               "Maya", "Noah", "Olivia", "Peter", "Quinn", "Rosa", "Sam", "Tara", "Umar", "Vera", "Will", "Yara"]
LATIN_LAST = ["Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Thomas", "Roberts", "Walker", "Wright",
              "Hughes", "Green", "Baker", "Hall", "Wood", "Clarke", "Turner", "Hill", "Moore", "Cooper"]
ACCENTED_FIRST = ["Zoë", "José", "Renée", "Søren", "Łukasz", "Ines", "Chloé", "Björn", "Agnès", "Jürgen", "Noémie",
                  "Siân", "Ólafur", "Dvořák", "Gaël"]
ACCENTED_LAST = ["Müller", "García", "Núñez", "Ødegaard", "Dvořáková", "Brontë", "Öztürk", "Çelik", "Łęcka",
                 "Lefèvre", "Fernández", "Schröder", "Piñeiro", "Ångström", "Straße"]
HAN_SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁"
                "谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢")
HAN_GIVEN = ("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚"
             "桂英华玉萍红娥玲芬燕彬晶鹏辉宇浩然子轩欣怡梓涵雨晨思远嘉")
SYLLABLES = ["ka", "lo", "mi", "ren", "sa", "to", "vel", "dor", "ix", "na", "qu", "bri", "zen", "fal", "mor", "tig",
             "ul", "ash", "pey", "wen", "gor", "hal", "jun", "cas"]


@dataclass
class Central:
    """The central service's signing key, as far as these tests need it."""

    private: Any = None
    public: bytes = b""
    kid: bytes = b""
    tag: str = "WQ7"
    seq: int = 0

    @classmethod
    def make(cls, tag: str = "WQ7") -> Central:
        private, public = keys.generate_keypair()
        return cls(private=private, public=public, kid=keys.key_id(public), tag=tag)

    def keys_doc(self) -> list[dict[str, str]]:
        return [{"key_id": self.kid.hex(), "public_key": keys.public_b64(self.public), "owner": "central"}]

    def sign(self, ticket_id: str, event_id: str, section_id: str, row: str | None = None,
             seat: str | None = None) -> str:
        return sign_token(TicketClaims(ticket_id, event_id, section_id, row, seat), self.private, self.kid)

    def next_code(self) -> str:
        self.seq += 1
        return make_order_code(self.tag, self.seq)


@dataclass
class Seat:
    section_id: str
    row: str | None = None
    seat: str | None = None
    ticket_type_id: str = "adult"
    price: str = "35.00"


def web_order(central: Central, event_id: str, name: str, tickets: list[Seat], *, email: str | None = None,
              phone: str | None = None, status: str = "paid", notes: str | None = None,
              created_at: str = "2026-11-20T12:00:00Z") -> dict[str, Any]:
    """One order as the central service would send it, every ticket signed."""
    out_tickets = []
    for t in tickets:
        tid = uuid7()
        item: dict[str, Any] = {"id": tid, "section_id": t.section_id, "ticket_type_id": t.ticket_type_id,
                                "price": t.price, "token": central.sign(tid, event_id, t.section_id, t.row, t.seat)}
        if t.row is not None:
            item |= {"row": t.row, "seat": t.seat}
        out_tickets.append(item)
    customer: dict[str, Any] = {"name": name}
    if email:
        customer["email"] = email
    if phone:
        customer["phone"] = phone
    order: dict[str, Any] = {"id": uuid7(), "code": central.next_code(), "event_id": event_id, "status": status,
                             "customer": customer, "created_at": created_at, "tickets": out_tickets}
    if notes:
        order["notes"] = notes
    return order


def orders_doc(orders: list[dict[str, Any]]) -> dict[str, Any]:
    return {"format": "boxoffice.orders/1", "source": "tests", "orders": orders}


# --- a big generated event ----------------------------------------------------------------------------------

BIG_EVENT = "festival"


def big_catalogue(day: datetime) -> dict[str, Any]:
    """A field for 1,000,000 standing: room for any generated event without touching the demo venue."""
    start = day.strftime("%Y-%m-%dT19:00")
    return {
        "format": "boxoffice.catalog/1",
        "venue": {"id": "demo-hall", "name": "Demo Hall", "timezone": "Europe/London", "currency": "GBP"},
        "events": [{
            "id": BIG_EVENT, "name": "Summer Festival", "starts_at": start, "doors_at": day.strftime("%Y-%m-%dT17:00"),
            "tax_rate": "20", "per_order_limit": 10, "reentry": True,
            "sections": [{"id": "field", "name": "Field", "kind": "general", "capacity": 1_000_000}],
            "ticket_types": [{"id": "adult", "name": "Adult", "prices": {"field": "45.00"}},
                             {"id": "child", "name": "Child", "prices": {"field": "20.00"}}],
        }],
    }


@dataclass
class Person:
    name: str
    email: str
    phone: str
    kind: str  # latin, accented, chinese


@dataclass
class Generated:
    orders: list[dict[str, Any]] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)

    @property
    def tickets(self) -> int:
        return sum(len(o["tickets"]) for o in self.orders)


def person(rng: random.Random, i: int) -> Person:
    """A customer: a third Latin, a third accented, a third Chinese; names repeat as real names do, and a made-up
    surname part keeps most full names rare, as on a real event. Phone numbers are unique."""
    kind = ("latin", "accented", "chinese")[i % 3]
    if kind == "chinese":
        name = rng.choice(HAN_SURNAMES) + "".join(rng.choice(HAN_GIVEN) for _ in range(rng.choice((1, 2))))
        email = f"user{i}@example.cn"
    else:
        first = rng.choice(LATIN_FIRST if kind == "latin" else ACCENTED_FIRST)
        last = rng.choice(LATIN_LAST if kind == "latin" else ACCENTED_LAST)
        made_up = "".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize()
        name = f"{first} {last}-{made_up}" if i % 2 else f"{first} {made_up} {last}"
        email = f"{first.lower()}.{i}@example.com"
    digits = f"{(123456789 + i * 7919) % 1_000_000_000:09d}"  # 7919 is prime: no two customers share a number
    phone = f"+44 7{digits[:3]} {digits[3:]}"
    return Person(name, email, phone, kind)


def generate(central: Central, n_orders: int, seed: int = 7, tickets_per_order: tuple[int, ...] = (1, 1, 2)
             ) -> Generated:
    """``n_orders`` paid web orders for the big event, every ticket signed by ``central``."""
    rng = random.Random(seed)
    out = Generated()
    for i in range(n_orders):
        who = person(rng, i)
        n = rng.choice(tickets_per_order)
        out.people.append(who)
        out.orders.append(web_order(central, BIG_EVENT, who.name, [Seat("field", price="45.00")] * n,
                                    email=who.email, phone=who.phone,
                                    created_at=(datetime(2026, 6, 1) + timedelta(seconds=i)).strftime(
                                        "%Y-%m-%dT%H:%M:%SZ")))
    return out


# --- the standard desk: a handful of web orders on the demo events ------------------------------------------


def standard_orders(central: Central, gala: str, jazz: str) -> dict[str, dict[str, Any]]:
    """Web orders that cover what the desk meets: accents and apostrophes, a Chinese name with a note, an unpaid
    order, a surname that fits the order-code alphabet, a German ß, and an order for the event with re-entry."""
    return {
        "zoe": web_order(central, gala, "Zoë O'Brien", [Seat("stalls", "F", str(n)) for n in (10, 11, 12)],
                         email="Zoe.OBrien@example.com", phone="+44 7700 900123"),
        "wang": web_order(central, gala, "王小明", [Seat("standing", price="22.50")] * 2, email="xm.wang@example.cn",
                          phone="+86 138 0013 8000", notes="ID required"),
        "anna": web_order(central, gala, "Anna Smith", [Seat("standing", price="22.50")],
                          email="anna.smith@example.com", phone="07700 900456", status="unpaid"),
        "annabel": web_order(central, gala, "Annabel Smithers", [Seat("standing", price="22.50")],
                             email="bel@example.com", phone="07700 900789"),
        "stephens": web_order(central, gala, "Mary Stephens", [Seat("standing", price="22.50")],
                              email="mary@example.com", phone="07700 900321"),
        "strasse": web_order(central, gala, "Jürgen Straße", [Seat("stalls", "G", "5")], phone="+49 30 1234 5678"),
        "jazz": web_order(central, jazz, "Noah Wright", [Seat("standing", price="22.50")] * 2,
                          email="noah@example.com", phone="07700 900555"),
    }


def setup_desk(ctx: Any, central: Central, orders: dict[str, dict[str, Any]]) -> None:
    """Trust the central key and import the orders, as an admin would."""
    from boxoffice.services.web_orders import import_keys, import_orders

    import_keys(ctx, central.keys_doc())
    import_orders(ctx, orders_doc(list(orders.values())))


def query(ctx: Any, sql: str, params: tuple = ()) -> list[tuple]:
    return [tuple(r) for r in ctx.conn.execute(sql, params)]


def seller_desk(ctx: Any, demo_events: tuple[str, str], login: Any) -> dict[str, dict[str, Any]]:
    """The standard web orders imported at ``ctx`` (its central key trusted), then sam the seller logged in: the
    desk that both hands orders out and takes payment for unpaid ones. Returns the orders by customer."""
    central = Central.make()
    orders = standard_orders(central, *demo_events)
    setup_desk(ctx, central, orders)
    login(ctx, "sam")
    return orders


GALA_EVENING = "2026-12-08T19:00:00Z"  # the Winter Gala's doors opened at 18:45


def gala_door(ctx: Any, demo_events: tuple[str, str], clock: Any, login: Any, guests: int) -> list[str]:
    """A door at the gala's evening: ``guests`` web orders of one standing ticket each imported at ``ctx`` (its
    central key trusted), the clock at the doors' opening, dan (door) logged in. Returns the tickets' tokens."""
    central = Central.make()
    orders = {f"g{i}": web_order(central, demo_events[0], f"Guest {i}", [Seat("standing", price="22.50")])
              for i in range(guests)}
    setup_desk(ctx, central, orders)
    clock.set(GALA_EVENING)
    login(ctx, "dan")
    return [o["tickets"][0]["token"] for o in orders.values()]
