"""A genuine ticket is accepted whatever its first and last characters: Base45 has a space in its alphabet.

A version 1 token's first character follows its signing key's id (one key in about 43 made every ticket begin with
a space, one in 45 with '-'); its last character follows the signature. These tests build, by searching signing
keys and ticket ids, version 1 tokens that begin with each of the 45 characters and end with each character a token
can end with, and version 2 tokens that end with each of those, and take every one of them through every path that
reads a token: `ticket verify`, `pickup find`, `pickup give`, the door (`scan check`), the `counter` desk and door,
`order show`, `refund` and `exchange`, through the CLI and through the services.
"""

from __future__ import annotations

import functools
import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from itertools import count
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from boxoffice.domain.codes import make_order_code
from boxoffice.services.context import Ctx
from boxoffice.tickets import keys
from boxoffice.tickets import token as tk

ALPHABET = tk.BASE45_ALPHABET
ENDINGS = ALPHABET[:33]  # 0-9 and A-W: what a final group can end with (see test_which_characters_can_begin_or_end)
GALA_EVENING = "2026-12-08T19:00:00Z"  # the Winter Gala's doors are open (London = UTC in December)
SUPERVISOR_PIN = "222222"  # sue's; a web order's refund or exchange offline needs a supervisor


@dataclass(frozen=True)
class Signer:
    """A signing key standing for the central service or a terminal that issued web tickets."""

    private: Any
    public: bytes
    kid: bytes

    @classmethod
    def from_seed(cls, seed: bytes) -> Signer:
        private = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed).digest())
        public = keys.public_raw(private)
        return cls(private, public, keys.key_id(public))


@dataclass(frozen=True)
class Case:
    """One web order of one ticket whose token begins and ends with the characters named."""

    version: int
    first: str
    last: str
    signer: Signer
    code: str
    ticket_id: str
    token: str
    section: str
    row: str | None
    seat: str | None


@functools.cache
def v1_signers() -> dict[str, Signer]:
    """A key for each of the 45 characters a version 1 token can begin with (found by trying seeds in order)."""
    found: dict[str, Signer] = {}
    for n in count():
        signer = Signer.from_seed(f"first-character-{n}".encode())
        first = ALPHABET[(256 + signer.kid[0]) % 45]
        found.setdefault(first, signer)
        if len(found) == len(ALPHABET):
            return found
    raise AssertionError("unreachable")


def _ending_with(signer: Signer, version: int, event: str, section: str, row: str | None, seat: str | None,
                 last: str) -> tuple[str, str]:
    """A ticket id whose token ends with ``last`` (signatures are deterministic: the search is repeatable)."""
    for n in count():
        tid = str(uuid.UUID(bytes=hashlib.sha256(f"{signer.kid.hex()}/{version}/{last}/{n}".encode()).digest()[:16],
                            version=4))
        text = tk.sign_token(tk.TicketClaims(tid, event, section, row, seat), signer.private, signer.kid,
                             version=version)
        if text[-1] == last:
            return tid, text
    raise AssertionError("unreachable")


@functools.cache
def cases(gala: str) -> tuple[Case, ...]:
    """Version 1: 45 standing tickets, the i-th beginning with ALPHABET[i] and ending with ENDINGS[i % 33].
    Version 2: 33 standing tickets (beginning with H) ending with each of ENDINGS, a seat A1 (beginning with K; an
    odd length, so ending with 0) and a seat A10 (L).
    """
    out: list[Case] = []
    for i, (first, signer) in enumerate(sorted(v1_signers().items(), key=lambda kv: ALPHABET.index(kv[0]))):
        tid, text = _ending_with(signer, 1, gala, "standing", None, None, ENDINGS[i % len(ENDINGS)])
        out.append(Case(1, first, text[-1], signer, make_order_code("WQ7", len(out) + 1), tid, text, "standing",
                        None, None))
    central = Signer.from_seed(b"central-version-2")
    places = [("standing", None, None, last) for last in ENDINGS] + [("stalls", "A", "1", "0"),
                                                                     ("stalls", "A", "10", "W")]
    for section, row, seat, last in places:
        tid, text = _ending_with(central, 2, gala, section, row, seat, last)
        out.append(Case(2, text[0], text[-1], central, make_order_code("WQ7", len(out) + 1), tid, text, section,
                        row, seat))
    return tuple(out)


def keys_doc(all_cases: tuple[Case, ...]) -> list[dict[str, str]]:
    """The version 1 keys as other terminals' (made before version 2), the version 2 key as the central one."""
    signers = {c.signer.kid: (c.signer, c.version) for c in all_cases}
    return [{"key_id": s.kid.hex(), "public_key": keys.public_b64(s.public),
             "owner": "central" if version == 2 else f"terminal:{uuid.uuid5(uuid.NAMESPACE_OID, s.kid.hex())}"}
            for s, version in signers.values()]


def orders_doc(all_cases: tuple[Case, ...], gala: str) -> dict[str, Any]:
    orders = []
    for c in all_cases:
        ticket: dict[str, Any] = {"id": c.ticket_id, "section_id": c.section, "ticket_type_id": "adult",
                                  "price": "22.50" if c.section == "standing" else "35.00", "token": c.token}
        if c.row is not None:
            ticket |= {"row": c.row, "seat": c.seat}
        orders.append({"id": str(uuid.uuid5(uuid.NAMESPACE_URL, c.code)), "code": c.code, "event_id": gala,
                       "status": "paid", "customer": {"name": f"Customer {c.code}"},
                       "created_at": "2026-11-20T12:00:00Z", "tickets": [ticket]})
    return {"format": "boxoffice.orders/1", "source": "tests", "orders": orders}


@pytest.fixture
def tickets(demo_events: tuple[str, str]) -> tuple[Case, ...]:
    return cases(demo_events[0])


@pytest.fixture
def desk(make_terminal: Callable[..., Ctx], tickets: tuple[Case, ...],
         demo_events: tuple[str, str]) -> Callable[[], Ctx]:
    """``desk()``: a standard terminal (ada logged in) that trusts every key and holds every order."""
    from boxoffice.services.web_orders import import_keys, import_orders

    def make() -> Ctx:
        ctx = make_terminal()
        import_keys(ctx, keys_doc(tickets))
        import_orders(ctx, orders_doc(tickets, demo_events[0]))
        return ctx

    return make


def scanned(c: Case) -> str:
    """The token as a keyboard-wedge scanner types it: with the Enter it sends (CR LF)."""
    return c.token + "\r\n"


# --- what the format allows -------------------------------------------------------------------------------------


def test_which_characters_can_begin_or_end_a_token(tickets: tuple[Case, ...]) -> None:
    """Version 1 tokens begin with any of the 45 characters; version 2 tokens only with a letter H to R; neither ever
    ends with a space, X, Y, Z or any of $%*+-./: (worked out over every possible byte value)."""
    # First character: the first two bytes, 256 * version + byte 1.
    assert {ALPHABET[(256 + k) % 45] for k in range(256)} == set(ALPHABET)
    assert [ALPHABET[(512 + n) % 45] for n in range(tk.MAX_PLACE_BYTES + 1)] == list("HIJKLMNOPQR")
    # A place is ROW:SEAT with both non-empty, so it is never 1 or 2 bytes long: I and J never begin a token.
    signer = Signer.from_seed(b"v2-places")
    firsts = {}
    for row, seat in [(None, None), ("A", "1"), ("A", "10"), ("AB", "10"), ("AB", "100"), ("ABC", "100"),
                      ("ABCD", "100"), ("ABCD", "1000"), ("ABCDE", "1000")]:
        text = tk.sign_token(tk.TicketClaims(str(uuid.uuid4()), "e", "s", row, seat), signer.private, signer.kid)
        firsts[len(f"{row}:{seat}") if row else 0] = text[0]
        assert text[1:3] == "B0"
    assert firsts == {0: "H", 3: "K", 4: "L", 5: "M", 6: "N", 7: "O", 8: "P", 9: "Q", 10: "R"}
    # Last character: the signature's last two bytes make a final group of three (n <= 65535); for an odd length
    # its last byte is a final pair, and an Ed25519 signature's last byte is below 16 (its S is below the group
    # order, about 2^252), so that pair always ends in 0.
    assert {ALPHABET[n // 2025] for n in range(65536)} == set(ENDINGS)
    assert {ALPHABET[b // 45] for b in range(256)} == set("012345")
    assert {ALPHABET[b // 45] for b in range(16)} == {"0"}
    odd = tk.sign_token(tk.TicketClaims(str(uuid.uuid4()), "e", "s", "A", "1"), signer.private, signer.kid)
    assert len(tk.b45decode(odd)) % 2 == 1 and odd.endswith("0")
    assert " " not in ENDINGS
    # The tokens these tests use cover all of that.
    v1 = [c for c in tickets if c.version == 1]
    v2 = [c for c in tickets if c.version == 2]
    assert sorted({c.token[0] for c in v1}, key=ALPHABET.index) == list(ALPHABET)
    assert {c.token[-1] for c in v1} == set(ENDINGS) == {c.token[-1] for c in v2}
    assert {c.token[0] for c in v2} == {"H", "K", "L"}
    assert any(c.token.startswith(" ") for c in v1) and any(c.token.startswith("-") for c in v1)


# --- ticket verify --------------------------------------------------------------------------------------------------


def test_ticket_verify_accepts_every_token(desk: Callable[[], Ctx], cli: Callable, tickets: tuple[Case, ...]) -> None:
    from boxoffice.services.tickets import verify

    ctx = desk()
    for c in tickets:
        result = cli("ticket", "verify", c.token, "--json", db=ctx)
        assert result.exit_code == 0, (c.first, c.last, c.token, result.output)
        out = result.json()
        assert (out["claims"]["ticket_id"], out["claims"]["version"], out["known_here"]) == (c.ticket_id,
                                                                                             c.version, True)
        plain = cli("ticket", "verify", c.token, db=ctx)
        assert plain.exit_code == 0 and plain.stdout.startswith("VALID"), (c.token, plain.output)
        assert verify(ctx, scanned(c))["claims"]["ticket_id"] == c.ticket_id
        if c.token.startswith(" "):  # trimmed by some tool on the way: still that ticket
            assert verify(ctx, c.token.strip())["claims"]["ticket_id"] == c.ticket_id


# --- the pickup desk ------------------------------------------------------------------------------------------------


def test_pickup_find_finds_every_token(desk: Callable[[], Ctx], cli: Callable, tickets: tuple[Case, ...]) -> None:
    from boxoffice.services.pickup import find

    ctx = desk()
    for c in tickets:
        result = cli("pickup", "find", c.token, "--json", db=ctx)
        assert result.exit_code == 0, (c.token, result.output)
        out = result.json()
        assert [r["code"] for r in out["results"]] == [c.code]
        assert (out["by"], out["query"], out["note"]) == ("token", c.token, None), c.token
        plain = cli("pickup", "find", c.token, db=ctx)
        assert c.code in plain.stdout and "re-issued" not in plain.output, (c.token, plain.output)
        found = find(ctx, scanned(c))
        assert ([r["code"] for r in found["results"]], found["note"]) == ([c.code], None)


def test_pickup_give_hands_out_by_every_token(desk: Callable[[], Ctx], cli: Callable,
                                              tickets: tuple[Case, ...]) -> None:
    from boxoffice.services.pickup import pick_up

    by_cli, by_service = desk(), desk()
    for c in tickets:
        result = cli("pickup", "give", c.token, "--json", db=by_cli)
        assert result.exit_code == 0, (c.token, result.output)
        assert (result.json()["order"], result.json()["handed_out"]) == (c.code, [c.ticket_id])
        again = cli("pickup", c.token, db=by_cli)  # `pickup TOKEN` is `pickup give TOKEN`
        assert again.exit_code == 4 and "handed out already" in again.stderr, (c.token, again.output)
        out = pick_up(by_service, scanned(c), print_now=False)
        assert (out["order"], out["handed_out"]) == (c.code, [c.ticket_id])


def test_order_show_by_every_token(desk: Callable[[], Ctx], cli: Callable, tickets: tuple[Case, ...]) -> None:
    ctx = desk()
    for c in tickets:
        result = cli("order", "show", c.token, "--json", db=ctx)
        assert result.exit_code == 0, (c.token, result.output)
        assert result.json()["code"] == c.code


# --- the door -------------------------------------------------------------------------------------------------------


def test_the_door_admits_every_token(desk: Callable[[], Ctx], cli: Callable, clock: Any, login: Callable,
                                     tickets: tuple[Case, ...], demo_events: tuple[str, str]) -> None:
    from boxoffice.services.door import door_event, scan

    by_cli, by_service = desk(), desk()
    clock.set(GALA_EVENING)
    for ctx in (by_cli, by_service):
        login(ctx, "dan")
    lines = "".join(scanned(c) for c in tickets)  # a scanner's burst, each token ending with CR LF
    result = cli("scan", "check", "--event", demo_events[0], "--json", db=by_cli, input=lines)
    assert result.exit_code == 0, result.output
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(a["result"], a["ticket_id"]) for a in answers] == [("admit", c.ticket_id) for c in tickets]
    ev = door_event(by_service, demo_events[0])
    for c in tickets:
        ans = scan(by_service, scanned(c), ev, "in")
        assert (ans["result"], ans["ticket_id"]) == ("admit", c.ticket_id), (c.token, ans)


# --- the counter ----------------------------------------------------------------------------------------------------


def test_the_counter_finds_hands_out_and_admits_every_token(desk: Callable[[], Ctx], cli: Callable, clock: Any,
                                                            login: Callable, tickets: tuple[Case, ...]) -> None:
    from boxoffice.services.counter import Counter

    by_cli, by_service = desk(), desk()
    # At the desk: each scan brings the order up; Enter hands it out.
    result = cli("counter", db=by_cli, input="".join(scanned(c) + "\n" for c in tickets) + "q\n")
    assert result.exit_code == 0, result.output
    for c in tickets:
        assert f"HANDED OUT {c.code}: 1 ticket(s)" in result.stdout, (c.token, result.stdout[-2000:])
    assert "REFUSED" not in result.stdout and "re-issued" not in result.stdout
    desk_ = Counter(by_service)
    for c in tickets:
        shown = desk_.handle(c.token)
        assert shown.lines[0].text.startswith(c.code), (c.token, [ln.text for ln in shown.lines])
        handed = desk_.handle("")
        assert handed.lines[0].text.startswith(f"HANDED OUT {c.code}"), [ln.text for ln in handed.lines]
    # At the door, in the evening.
    clock.set(GALA_EVENING)
    for ctx in (by_cli, by_service):
        login(ctx, "dan")
    result = cli("counter", "--door", db=by_cli, input="".join(scanned(c) for c in tickets) + "q\n")
    assert result.exit_code == 0, result.output
    assert result.stdout.count("ADMIT") == len(tickets) and "REFUSED" not in result.stdout, result.stdout[-2000:]
    door = Counter(by_service, door=True)
    for c in tickets:
        reply = door.handle(c.token)
        assert reply.lines[0].text.startswith("ADMIT"), (c.token, [ln.text for ln in reply.lines])


# --- refunds and exchanges ------------------------------------------------------------------------------------------


def test_refund_by_every_token(desk: Callable[[], Ctx], cli: Callable, tickets: tuple[Case, ...]) -> None:
    from boxoffice.services.refunds import RefundRequest, refund

    by_cli, by_service = desk(), desk()
    for c in tickets:
        result = cli("refund", c.token, "--supervisor", "sue", "--yes", "--json", db=by_cli, pin=SUPERVISOR_PIN)
        assert result.exit_code == 0, (c.token, result.output)
        assert (result.json()["order"], result.json()["tickets"]) == (c.code, [c.ticket_id])
        out = refund(by_service, RefundRequest(code=scanned(c), supervisor=("sue", SUPERVISOR_PIN),
                                               print_receipt=False))
        assert (out["order"], [i["ticket_id"] for i in out["items"]]) == (c.code, [c.ticket_id])


def test_exchange_by_every_token(desk: Callable[[], Ctx], cli: Callable, tickets: tuple[Case, ...]) -> None:
    from boxoffice.services.exchanges import ExchangeRequest, exchange

    by_cli, by_service = desk(), desk()
    for c in tickets:
        result = cli("exchange", c.token, "--section", "standing", "--supervisor", "sue", "--yes", "--json",
                     db=by_cli, pin=SUPERVISOR_PIN)
        assert result.exit_code == 0, (c.token, result.output)
        assert result.json()["from"] == c.code
        out = exchange(by_service, ExchangeRequest(code=scanned(c), section_id="standing",
                                                   supervisor=("sue", SUPERVISOR_PIN)))
        assert out["from"] == c.code


def test_a_scanned_ticket_names_only_itself_for_a_refund_or_an_exchange(
        make_terminal: Callable[..., Ctx], cli: Callable, demo_events: tuple[str, str]) -> None:
    """Scanning one ticket of a three-ticket order refunds (or exchanges) that ticket, not the whole order; an
    order code still means every ticket, and --tickets still chooses."""
    from pickup_fixtures import Central, Seat, setup_desk, web_order

    central = Central.make()
    order = web_order(central, demo_events[0], "Ann Three", [Seat("standing", price="22.50")] * 3)
    ctx = make_terminal()
    setup_desk(ctx, central, {"ann": order})
    first, second, third = order["tickets"]
    refunded = cli("refund", second["token"], "--supervisor", "sue", "--yes", "--json", db=ctx, pin=SUPERVISOR_PIN)
    assert refunded.exit_code == 0, refunded.output
    assert refunded.json()["tickets"] == [second["id"]]
    again = cli("refund", second["token"], "--supervisor", "sue", "--yes", "--json", db=ctx, pin=SUPERVISOR_PIN)
    assert again.exit_code == 4 and again.json()["error"]["code"] == "already_refunded"
    exchanged = cli("exchange", third["token"], "--section", "standing", "--supervisor", "sue", "--yes", "--json",
                    db=ctx, pin=SUPERVISOR_PIN)
    assert exchanged.exit_code == 0, exchanged.output
    shown = cli("order", "show", first["token"], "--json", db=ctx).json()
    assert [t["status"] for t in shown["tickets"]] == ["valid", "refunded", "exchanged"]
