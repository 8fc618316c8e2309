"""The allocation invariant under random schedules: five real terminals (SQLite files, driven through the terminal
services) and the web shop against the central functions in process (SQLite), with random cuts on every request.

What runs: grants of standing places and of named seats, held (house) seats among them, which the box office may
release to a terminal on purpose (``include_held``); per-terminal top-up caps changed at random (0 included);
sales, refunds and releases at the counters; web orders
sold and refunded (a web ticket is refunded at a counter, with a supervisor's override, and may be refunded at two
counters cut off from each other); top-ups the terminals ask for at sync when they run low (each request once by
its id, however often it arrives), recalls (the terminal gives back its unsold places at its next pull) and
write-offs (a terminal declared dead: central frees what it does not know was sold; the terminal is not heard from
again); syncs through ``services.sync.sync_once`` over an in-process link that can cut a request before it arrives,
lose its answer, send it twice, hold a push back and deliver it later (oldest or newest first), or answer a grants
pull with an old page; and whole offline periods per terminal.

Checked after every step, per section of the event:
- central: web sold + every terminal's allocation + held + free = capacity, free >= 0, and `central allocations`
  says so (``balanced``); no seat both web-sold and allocated; a held seat is never web-sold, never free, and in a
  terminal's allocation only when a grant to that terminal released it on purpose;
- every terminal: what central says it holds = what it holds itself + grants it has not pulled yet + releases that
  have not reached central yet (so a lost, repeated or late message neither loses nor doubles a place); a
  written-off terminal holds at central exactly what central knows it sold;
- no seat allocated at two terminals, or allocated at one and web-sold, or sold by two (counters or web), and no
  ``seat_sold_twice`` conflict at central; standing places sold everywhere never exceed the capacity;
- a sale of standing places or named seats refused exactly when the terminal does not hold them unsold or the
  section is stopped here (recalled or written off); a held seat released to a terminal is sellable there;
- a top-up never leaves a terminal more unsold places of a section than its cap (central's count before it).

CI runs 1,000 schedules of up to 10 steps (about a minute on 2 cores); BOXOFFICE_ALLOC_EXAMPLES and
BOXOFFICE_ALLOC_STEPS ask for more (the long run and its figures are in benchmarks/README.md). Not covered here: a
written-off terminal that comes back and pushes sales made after its write-off (flagged ``sold_after_write_off``).
"""

from __future__ import annotations

import atexit
import base64
import functools
import hashlib
import json
import os
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from boxoffice.central.services import (
    allocation_stops,
    allocation_topup,
    allocations,
    catalog,
    enrollment,
    feed,
    ingest,
    terminals,
    weborders,
)
from boxoffice.central.store import schema
from boxoffice.central.store.db import CentralDB, connect
from boxoffice.config import load
from boxoffice.domain.clock import iso
from boxoffice.domain.tenders import Tender
from boxoffice.errors import BoxOfficeError
from boxoffice.services import allocations as terminal_alloc
from boxoffice.services.context import Ctx
from boxoffice.services.demo_catalog import HALL_ROWS, demo_catalog
from boxoffice.services.opening import open_terminal
from boxoffice.services.refunds import RefundRequest, refund
from boxoffice.services.sales import SaleRequest, sell
from boxoffice.services.sync import rounds as sync_service

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
NOW = iso(T0)
EVENT = f"gala-{T0.date() + timedelta(days=7):%m%d}"  # the demo catalogue's first event
TERMINALS = 5
EXAMPLES = int(os.environ.get("BOXOFFICE_ALLOC_EXAMPLES", "1000"))
STEPS = int(os.environ.get("BOXOFFICE_ALLOC_STEPS", "10"))
START_STANDING, START_SEATS = 14, 10  # near the terminals' top-up threshold (10 unsold)
PUSH_BATCH = 3  # small batches: one sync sends several requests, and a cut can land between them
SUPERVISOR = ("sue", "222222")
UNREACHABLE = "central_unreachable"
GENERAL, RESERVED = "standing", "stalls"

HELD_BACK = {"H13", "H14", "H15", "H16"}  # the demo hall's house seats: for sale only where released on purpose
TERM = st.integers(0, TERMINALS - 1)
FAULTS = st.sampled_from(["none", "none", "cut_before", "lost_answer", "repeat", "delay", "stale"])


def _clock() -> datetime:
    return T0


def _fast_dir() -> str | None:
    return "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


def _cheap_pin_hash(pin: str) -> str:
    """The supervisor's PIN in the format domain.pins writes, with small scrypt costs: the hash names its own
    parameters, so checking it runs the real code at a fraction of the time a web refund would otherwise take."""
    salt = b"property-test-salt"
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=16, r=1, p=1, dklen=32)
    b64 = base64.b64encode
    return f"scrypt$16$1$1${b64(salt).decode()}${b64(digest).decode()}"


# -- the wire ---------------------------------------------------------------------------------------------------


class Link:
    """One terminal's connection to the central service, in process, doing what the HTTP endpoints do.

    ``fault`` hits the ``fault_at``-th request of the next sync: ``cut_before`` (never arrives), ``lost_answer``
    (done, the answer never comes back), ``repeat`` (done twice), ``delay`` (a push held on the way and delivered
    later by ``deliver_held``; other requests lose their answer), ``stale`` (a grants pull answered with a page
    from before). ``offline`` cuts every request.
    """

    def __init__(self, db: CentralDB, terminal_id: str) -> None:
        self.db, self.tid = db, terminal_id
        self.offline = False
        self.fault, self.fault_at, self.requests = "none", 0, 0
        self.held: list[list[dict[str, Any]]] = []
        self.old_pages: list[dict[str, Any]] = []

    def arm(self, fault: str, at: int) -> None:
        self.fault, self.fault_at, self.requests = fault, at, 0

    def _next(self) -> str:
        if self.offline:
            raise BoxOfficeError(UNREACHABLE, "cut off")
        n, self.requests = self.requests, self.requests + 1
        return self.fault if n == self.fault_at else "none"

    def enroll_challenge(self, body: dict[str, Any]) -> dict[str, Any]:
        return enrollment.challenge(self.db, body, NOW)

    def enroll(self, body: dict[str, Any]) -> dict[str, Any]:
        return enrollment.enroll(self.db, body, NOW)

    def receive(self, entries: list[dict[str, Any]]) -> dict[str, Any]:
        """POST /v1/journal: the batch applied once by id, then every release not applied yet."""
        term = self.db.one("SELECT * FROM terminals WHERE id = ?", (self.tid,))
        answer = ingest.apply_batch(self.db, term, entries, NOW)
        allocations.apply_pending_releases(self.db, self.tid, NOW)
        allocation_stops.flag_late_sales(self.db, self.tid, NOW)
        return answer

    def push(self, entries: list[dict[str, Any]]) -> dict[str, Any]:
        fault = self._next()
        if fault == "cut_before":
            raise BoxOfficeError(UNREACHABLE, "cut before the push arrived")
        if fault == "delay":
            self.held.append(entries)
            raise BoxOfficeError(UNREACHABLE, "the push is on its way; the terminal gave up waiting")
        answer = self.receive(entries)
        if fault == "repeat":
            answer = self.receive(entries)
        if fault in ("lost_answer", "stale"):
            raise BoxOfficeError(UNREACHABLE, "the answer was lost")
        return answer

    def deliver_held(self, newest_first: bool) -> None:
        batches, self.held = self.held, []
        for entries in reversed(batches) if newest_first else batches:
            self.receive(entries)

    def changes(self, after: int, limit: int) -> dict[str, Any]:
        fault = self._next()
        if fault == "cut_before":
            raise BoxOfficeError(UNREACHABLE, "cut")
        page = json.loads(feed.page(self.db, self.tid, after, limit))
        if fault in ("lost_answer", "delay"):
            raise BoxOfficeError(UNREACHABLE, "the answer was lost")
        return page

    def top_up(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST /v1/allocations/requests: more places of a section, once per request id, within the cap."""
        fault = self._next()
        if fault == "cut_before":
            raise BoxOfficeError(UNREACHABLE, "cut")
        sec = allocations.section(self.db, body["event_id"], body["section_id"])
        term = self.db.one("SELECT * FROM terminals WHERE id = ?", (self.tid,))
        room = max(0, allocation_topup.cap_of(self.db, term) - allocation_topup.unsold(self.db, self.tid, sec))
        answer = allocation_topup.top_up(self.db, self.tid, body["event_id"], body["section_id"], body["count"],
                                    body["id"], NOW)
        assert answer["replayed"] or answer["granted"] <= room, (answer, room)
        if fault == "repeat":
            again = allocation_topup.top_up(self.db, self.tid, body["event_id"], body["section_id"], body["count"],
                                       body["id"], NOW)
            assert again["replayed"] and again["granted"] == answer["granted"]
            answer = again
        if fault in ("lost_answer", "delay", "stale"):
            raise BoxOfficeError(UNREACHABLE, "the answer was lost")
        return answer

    def allocations(self, after: int, limit: int = 500) -> dict[str, Any]:
        fault = self._next()
        if fault == "cut_before":
            raise BoxOfficeError(UNREACHABLE, "cut")
        if fault == "stale" and self.old_pages:
            return self.old_pages[0]
        page = allocations.grants_after(self.db, self.tid, after, limit)
        if fault == "repeat":
            page = allocations.grants_after(self.db, self.tid, after, limit)
        if len(self.old_pages) < 3:
            self.old_pages.append(page)
        if fault in ("lost_answer", "delay"):
            raise BoxOfficeError(UNREACHABLE, "the answer was lost")
        return page


# -- one template of everything, copied for each schedule --------------------------------------------------------


@functools.cache
def _templates() -> Path:
    """A central database with the demo catalogue published and five terminals enrolled, each terminal made by
    ``boxoffice init``'s service with an admin logged in and a supervisor, granted START_STANDING standing places
    and the first START_SEATS seats of a row of its own, and synced once (catalogue and grants pulled): every
    schedule starts from terminals that have something to sell."""
    from boxoffice.services.catalog import import_catalog  # noqa: F401 - the pull imports it
    from boxoffice.services.operators import add_operator, login
    from boxoffice.services.terminal import init_terminal

    root = Path(tempfile.mkdtemp(prefix="alloc-template-", dir=_fast_dir()))
    atexit.register(shutil.rmtree, root, True)
    db = connect(str(root / "central.db"))
    schema.create(db, NOW)
    catalog.publish(db, demo_catalog(T0.date()), NOW)
    for i in range(TERMINALS):
        ctx = init_terminal(load(db=str(root / f"t{i}.db")), f"Counter {i}", _clock)
        add_operator(ctx, "ada", "admin", "123456")
        login(ctx, "ada", "123456")
        add_operator(ctx, SUPERVISOR[0], "supervisor", SUPERVISOR[1])
        ctx.conn.execute("UPDATE operators SET pin_hash = ? WHERE name = ?",
                         (_cheap_pin_hash(SUPERVISOR[1]), SUPERVISOR[0]))
        link = Link(db, ctx.terminal["id"])
        code = terminals.create_code(db, f"Counter {i}", NOW, "2099-01-01T00:00:00Z")
        sync_service.enroll(ctx, "http://localhost", code, link)  # in process: the URL is only kept
        allocations.grant(db, EVENT, ctx.terminal["id"], GENERAL, count=START_STANDING, now=NOW)
        allocations.grant(db, EVENT, ctx.terminal["id"], RESERVED, now=NOW,
                          seats=[f"{HALL_ROWS[i]}{n}" for n in range(1, START_SEATS + 1)])
        sync_service.sync_once(ctx, link)
        ctx.close()
    db.close()
    return root


@functools.cache
def _sections() -> dict[str, allocations.Section]:
    """The event's sections as central sees them (they do not change during a run)."""
    db = connect(str(_templates() / "central.db"))
    try:
        return allocations.sections(db, EVENT)
    finally:
        db.close()


def _copy(src: Path, dst: Path) -> None:
    for item in src.iterdir():
        if item.is_file():
            shutil.copyfile(item, dst / item.name)


# -- what each side holds ---------------------------------------------------------------------------------------


def _local_general(ctx: Ctx) -> tuple[int, int]:
    r = ctx.conn.execute("SELECT allocated, sold FROM sections WHERE event_id = ? AND id = ?",
                         (EVENT, GENERAL)).fetchone()
    return int(r[0]), int(r[1])


def _local_seats(ctx: Ctx) -> tuple[set[str], set[str]]:
    """(seats in this terminal's allocation, seats it has sold). A seat the venue holds back (status 'held') and did
    not release to this terminal is nobody's to sell and is left out: a terminal that imported the catalogue itself
    before central governed the event may still mark it as its own, which sells nothing. A house seat released here
    on purpose is 'free' here, so it counts."""
    held, sold = set(), set()
    for label, allocated, status in ctx.conn.execute(
            "SELECT label, allocated, status FROM seats WHERE event_id = ? AND section_id = ?"
            " AND (allocated = 1 OR status = 'sold') AND status <> 'held'", (EVENT, RESERVED)):
        if allocated:
            held.add(label)
        if status == "sold":
            sold.add(label)
    return held, sold


def _stopped(ctx: Ctx, section: str) -> bool:
    """A recall or write-off stops this section's sales here until a later grant."""
    return ctx.conn.execute("SELECT 1 FROM allocation_stops WHERE event_id = ? AND section_id = ?"
                            " AND lifted_at IS NULL", (EVENT, section)).fetchone() is not None


def _governed(ctx: Ctx) -> bool:
    return ctx.conn.execute("SELECT 1 FROM allocation_events WHERE event_id = ?", (EVENT,)).fetchone() is not None


class Allocations(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="alloc-", dir=_fast_dir()))
        _copy(_templates(), self.dir)
        self.db = connect(str(self.dir / "central.db"))
        self.secs = _sections()
        self.ctx: list[Ctx] = []
        self.links: list[Link] = []
        for i in range(TERMINALS):
            ctx = open_terminal(load(db=str(self.dir / f"t{i}.db")), _clock)
            self.ctx.append(ctx)
            self.links.append(Link(self.db, ctx.terminal["id"]))
        self.tids = [c.terminal["id"] for c in self.ctx]
        self.seat_labels = sorted(self.secs[RESERVED].seats)
        self.refs = 0
        self.refused_sales = 0
        self.dead: set[int] = set()  # written off by the box office: never heard from again

    def teardown(self) -> None:
        for ctx in self.ctx:
            ctx.close()
        self.db.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- central: grants and the web shop ----------------------------------------------------------------------

    @rule(t=TERM, n=st.integers(1, 80))
    def grant_standing(self, t: int, n: int) -> None:
        if t in self.dead:  # nobody grants places to a terminal written off
            return
        free = allocations.free(self.db, self.secs[GENERAL])
        try:
            allocations.grant(self.db, EVENT, self.tids[t], GENERAL, count=n, now=NOW)
        except BoxOfficeError as exc:
            assert exc.code == "sold_out" and n > free
        else:
            assert n <= free

    @rule(t=TERM, data=st.data(), include_held=st.booleans())
    def grant_seats(self, t: int, data: st.DataObject, include_held: bool) -> None:
        """Named seats, house seats among them now and then: granted only from what is free, and a house seat only
        when the box office releases it on purpose."""
        if t in self.dead:
            return
        sec = self.secs[RESERVED]
        free = allocations.free_seats(self.db, sec)
        held = allocations.held_seats(self.db, sec)
        near = sorted(HELD_BACK | set(sorted(free)[:4]))
        pool = {0: self.seat_labels, 1: near, 2: near}.get(data.draw(st.integers(0, 4)), sorted(free) or near)
        seats = data.draw(st.lists(st.sampled_from(pool), min_size=1, max_size=6, unique=True))
        allowed = free | held if include_held else free
        try:
            move = allocations.grant(self.db, EVENT, self.tids[t], RESERVED, seats=seats, include_held=include_held,
                                     now=NOW)
        except BoxOfficeError as exc:
            assert exc.code in ("sold_out", "seat_unavailable") and not set(seats) <= allowed
            assert (exc.code == "seat_unavailable") == (not include_held and bool(set(seats) & held))
        else:
            assert set(seats) <= allowed
            assert set(move.get("held_released", [])) == set(seats) & held
            if move.get("held_released"):
                event("house seats released to a terminal")

    @rule(t=TERM, cap=st.sampled_from([None, 0, 3, 12, 40]))
    def box_office_caps_top_ups(self, t: int, cap: int | None) -> None:
        """The terminal's own top-up cap set (None: back to the default); top-ups from now on keep within it."""
        self.db.execute("UPDATE terminals SET allocation_cap = ? WHERE id = ?", (cap, self.tids[t]))

    def _web(self, tickets: list[dict[str, Any]]) -> bool:
        self.refs += 1
        doc = {"format": "boxoffice.web-orders/1", "orders": [
            {"ref": f"w{self.refs}", "event_id": EVENT, "customer_name": "W", "email": "w@example.com",
             "tickets": tickets}]}
        try:
            weborders.import_orders(self.db, doc, NOW)
        except BoxOfficeError as exc:
            assert exc.code == "invalid_document"
            return False
        return True

    @rule(n=st.integers(1, 30))
    def web_sells_standing(self, n: int) -> None:
        free = allocations.free(self.db, self.secs[GENERAL])
        assert self._web([{"section_id": GENERAL, "type": "adult"}] * n) == (n <= free)

    @rule(data=st.data())
    def web_sells_seats(self, data: st.DataObject) -> None:
        """Only free seats: never one a terminal holds, never a house seat (released or not)."""
        free = allocations.free_seats(self.db, self.secs[RESERVED])
        pool = {0: self.seat_labels, 1: sorted(HELD_BACK | set(sorted(free)[:3]))}.get(data.draw(st.integers(0, 3)),
                                                                                       sorted(free) or self.seat_labels)
        seats = data.draw(st.lists(st.sampled_from(pool), min_size=1, max_size=4, unique=True))
        ok = self._web([{"section_id": RESERVED, "type": "adult", "seat": s} for s in seats])
        assert ok == (set(seats) <= free)

    # -- counters ----------------------------------------------------------------------------------------------

    def _sell(self, t: int, section: str, n: int, seats: list[str] | None = None) -> bool:
        req = SaleRequest(event_id=EVENT, section_id=section, counts={"adult": n}, seats=seats,
                          tenders=[Tender("cash", 100_00 * n)], print_receipt=False)
        try:
            sell(self.ctx[t], req)
        except BoxOfficeError as exc:
            assert exc.code in ("not_allocated", "sold_out", "not_enough_together", "seat_unavailable"), exc
            self.refused_sales += 1
            return False
        return True

    @rule(t=TERM, n=st.integers(1, 6))
    def counter_sells_standing(self, t: int, n: int) -> None:
        ctx = self.ctx[t]
        if t in self.dead:
            return
        if not _governed(ctx):  # see test_a_terminal_enrolled_with_central_sells_nothing_it_was_not_granted
            return
        held, sold = _local_general(ctx)
        assert self._sell(t, GENERAL, n) == (held - sold >= n and not _stopped(ctx, GENERAL))

    @rule(t=TERM, n=st.integers(1, 3), named=st.booleans(), data=st.data())
    def counter_sells_seats(self, t: int, n: int, named: bool, data: st.DataObject) -> None:
        ctx = self.ctx[t]
        if t in self.dead:
            return
        if not _governed(ctx):
            return
        held, sold = _local_seats(ctx)
        sellable = set() if _stopped(ctx, RESERVED) else held - sold - self._held_back(ctx)
        if named:
            pool = sorted(sellable) if len(sellable) >= n and data.draw(st.integers(0, 3)) else self.seat_labels
            seats = data.draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n, unique=True))
            assert self._sell(t, RESERVED, n, seats) == (set(seats) <= sellable)
        else:
            ok = self._sell(t, RESERVED, n)
            if len(sellable) < n:
                assert not ok
            elif n == 1:  # more than one may not sit together
                assert ok

    @staticmethod
    def _held_back(ctx: Ctx) -> set[str]:
        """Seats the venue holds back (status 'held'): allocated or not, they are not for sale."""
        return {r[0] for r in ctx.conn.execute("SELECT label FROM seats WHERE event_id = ? AND section_id = ?"
                                               " AND status = 'held'", (EVENT, RESERVED))}

    def _valid_tickets(self, t: int, channel: str) -> list[tuple[str, str]]:
        return [(r[0], r[1]) for r in self.ctx[t].conn.execute(
            "SELECT o.code, x.id FROM tickets x JOIN orders o ON o.id = x.order_id WHERE x.status = 'valid'"
            " AND o.channel = ? AND x.event_id = ? AND (o.channel = 'web' OR o.terminal_id = ?) ORDER BY x.id",
            (channel, EVENT, self.tids[t]))]

    @rule(t=TERM, data=st.data())
    def counter_refunds(self, t: int, data: st.DataObject) -> None:
        if t in self.dead:
            return
        mine = self._valid_tickets(t, "box_office")
        if not mine:
            return
        code, ticket = data.draw(st.sampled_from(mine))
        refund(self.ctx[t], RefundRequest(code=code, tickets=[ticket], print_receipt=False))

    @rule(t=TERM, data=st.data())
    def web_ticket_refunded_at_a_counter(self, t: int, data: st.DataObject) -> None:
        """The web shop's refunds reach central as a counter's refund of the web ticket (supervisor override);
        two counters cut off from each other may both refund one ticket: central frees its place once."""
        if t in self.dead:
            return
        theirs = self._valid_tickets(t, "web")
        if not theirs:
            return
        code, ticket = data.draw(st.sampled_from(theirs))
        refund(self.ctx[t], RefundRequest(code=code, tickets=[ticket], supervisor=SUPERVISOR, print_receipt=False))

    @rule(t=TERM, n=st.integers(1, 40))
    def counter_releases_standing(self, t: int, n: int) -> None:
        ctx = self.ctx[t]
        if t in self.dead:
            return
        if not _governed(ctx):
            return
        held, sold = _local_general(ctx)
        try:
            terminal_alloc.release(ctx, EVENT, GENERAL, n)
        except BoxOfficeError as exc:
            assert exc.code == "bad_input" and held - sold < n
        else:
            assert held - sold >= n

    @rule(t=TERM, data=st.data())
    def counter_releases_seats(self, t: int, data: st.DataObject) -> None:
        ctx = self.ctx[t]
        if t in self.dead:
            return
        if not _governed(ctx):
            return
        held, sold = _local_seats(ctx)
        free_here = held - sold - self._held_back(ctx)
        pool = sorted(free_here) if free_here and data.draw(st.integers(0, 3)) else self.seat_labels
        seats = data.draw(st.lists(st.sampled_from(pool), min_size=1, max_size=5, unique=True))
        try:
            terminal_alloc.release(ctx, EVENT, RESERVED, seats=seats)
        except BoxOfficeError as exc:
            assert exc.code == "bad_input" and not set(seats) <= free_here
        else:
            assert set(seats) <= free_here

    # -- the box office takes places back ------------------------------------------------------------------------

    @rule(t=TERM, section=st.sampled_from([None, GENERAL, RESERVED]))
    def box_office_recalls(self, t: int, section: str | None) -> None:
        """The terminal gives its unsold places back at its next pull; central frees them when that release
        arrives, so they are never in two places meanwhile."""
        if t in self.dead:
            return
        allocation_stops.recall(self.db, EVENT, self.tids[t], section_id=section, reason="needed online",
                                by="Box office", now=NOW)

    @rule(t=TERM)
    def box_office_writes_off(self, t: int) -> None:
        """A terminal declared dead: central frees its allocation except what it knows was sold there. The
        terminal is not heard from again here (its pushes still on the way are lost with it)."""
        if t in self.dead or len(self.dead) >= TERMINALS - 2:
            return
        answer = allocation_stops.write_off(self.db, EVENT, self.tids[t], by="Box office", reason="stolen", now=NOW)
        assert all(s["freed"] == s["risk"] for s in answer["sections"])
        self.dead.add(t)
        self.links[t].held = []
        self.links[t].offline = True

    @rule(t=TERM)
    def top_up_copy_arrives(self, t: int) -> None:
        """A copy of the terminal's last top-up request reaches central again (a retry racing the first, or one
        held on the way): the same answer, nothing more granted."""
        row = self.ctx[t].conn.execute("SELECT id, event_id, section_id, count FROM allocation_requests"
                                       " ORDER BY asked_at DESC, rowid DESC LIMIT 1").fetchone()
        if row is None:
            return
        before = self._central_counts()
        try:
            answer = allocation_topup.top_up(self.db, self.tids[t], row[1], row[2], row[3], row[0], NOW)
        except BoxOfficeError:
            return
        after = self._central_counts()
        if answer["replayed"]:
            assert after == before
        else:  # the first copy never arrived: this one is the request
            grew = sum(after[0].values()) + len(after[1]) - sum(before[0].values()) - len(before[1])
            assert grew == answer["granted"]

    def _central_counts(self) -> tuple[dict[str, int], dict[str, str]]:
        return (allocations.allocated(self.db, EVENT, GENERAL), allocations.seats_of(self.db, EVENT, RESERVED))

    # -- the network -------------------------------------------------------------------------------------------

    @rule(t=TERM, fault=FAULTS, at=st.integers(0, 4))
    def sync(self, t: int, fault: str, at: int) -> None:
        if t in self.dead:
            return
        link = self.links[t]
        link.arm(fault, at)
        try:
            out = sync_service.sync_once(self.ctx[t], link, batch=PUSH_BATCH)
        except BoxOfficeError as exc:
            assert exc.code == UNREACHABLE, exc
            assert link.offline or fault != "none"
            event("sync cut")
        else:
            for what in ("grants_applied", "stops_applied", "top_up_granted"):
                if out.get(what):
                    event(f"sync: {what}")

    @rule(t=TERM)
    def sync_goes_through(self, t: int) -> None:
        """A sync with nothing cut (unless the terminal is offline): most are."""
        self.sync(t, "none", 0)

    @rule(t=TERM, newest_first=st.booleans())
    def late_pushes_arrive(self, t: int, newest_first: bool) -> None:
        if self.links[t].held:
            event("late pushes arrive")
        self.links[t].deliver_held(newest_first)


    @rule(t=TERM)
    def cut_off_or_back(self, t: int) -> None:
        """A terminal loses its network for a while (every request cut), or gets it back."""
        self.links[t].offline = not self.links[t].offline

    # -- the invariant -----------------------------------------------------------------------------------------

    def _in_flight(self) -> list[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
        """Per terminal: (grants central made that it has not applied, its releases central has not applied)."""
        grants: dict[str, list[tuple[str, dict[str, Any]]]] = {tid: [] for tid in self.tids}
        for r in self.db.all("SELECT id, terminal_id, count, seats FROM allocation_moves WHERE kind = 'grant'"
                             " AND event_id = ?", (EVENT,)):
            grants[r["terminal_id"]].append((r["id"], {"count": int(r["count"]), "seats": json.loads(r["seats"])}))
        done = {r["entry_id"] for r in self.db.all("SELECT entry_id FROM allocation_moves WHERE entry_id IS NOT NULL")}
        out = []
        for ctx, tid in zip(self.ctx, self.tids, strict=True):
            applied = {r[0] for r in ctx.conn.execute("SELECT id FROM allocation_grants")}
            releases = [json.loads(r[1]) for r in ctx.conn.execute(
                "SELECT id, payload FROM journal WHERE kind = ? ORDER BY seq", (terminal_alloc.RELEASE_KIND,))
                if r[0] not in done]
            out.append(([g for gid, g in grants[tid] if gid not in applied],
                        [p for p in releases if p["event_id"] == EVENT]))
        return out

    def _known_sold(self, tid: str) -> tuple[int, set[str]]:
        """What central knows a terminal sold and did not refund: (standing places, seats)."""
        rows = self.db.all("SELECT t.section_id, t.row_label, t.seat FROM tickets t JOIN orders o ON o.id = t.order_id"
                           " WHERE o.terminal_id = ? AND o.channel <> 'web' AND t.event_id = ? AND t.status = 'valid'",
                           (tid, EVENT))
        return (sum(1 for r in rows if r["section_id"] == GENERAL),
                {f"{r['row_label']}{r['seat']}" for r in rows if r["section_id"] == RESERVED})

    @invariant()
    def places_add_up(self) -> None:
        gen, res = self.secs[GENERAL], self.secs[RESERVED]
        # central, standing
        by_terminal = allocations.allocated(self.db, EVENT, GENERAL)
        web = allocations.web_sold(self.db, EVENT, GENERAL)
        free = allocations.free(self.db, gen)
        assert free >= 0 and all(v >= 0 for v in by_terminal.values())
        assert web + sum(by_terminal.values()) + free == gen.capacity
        # central, seats: web sold, allocated, held by the venue and free part the section
        web_seats = allocations.web_seats(self.db, EVENT, RESERVED)
        seat_holder = allocations.seats_of(self.db, EVENT, RESERVED)
        house = allocations.held_seats(self.db, res)
        free_seats = allocations.free_seats(self.db, res)
        assert not web_seats & set(seat_holder), "a seat both web-sold and allocated"
        assert web_seats | set(seat_holder) <= res.seats
        assert len(web_seats) + len(seat_holder) + len(house) + len(free_seats) == res.capacity
        assert house <= HELD_BACK and not free_seats & HELD_BACK and not web_seats & HELD_BACK
        released = {(r["terminal_id"], s) for r in self.db.all(
            "SELECT terminal_id, held_released FROM allocation_moves WHERE kind = 'grant' AND held_released IS NOT NULL"
            " AND event_id = ?", (EVENT,)) for s in json.loads(r["held_released"])}
        assert {(h, s) for s, h in seat_holder.items() if s in HELD_BACK} <= released, "a house seat given unasked"
        assert all(r["balanced"] for r in allocations.summary(self.db, EVENT))
        # each terminal against central, and the terminals against each other
        sold_general = web
        held_anywhere: dict[str, int] = {}
        sold_anywhere = {s: -1 for s in web_seats}
        for t, (ctx, (grants, releases)) in enumerate(zip(self.ctx, self._in_flight(), strict=True)):
            tid = self.tids[t]
            if t in self.dead:
                known = self._known_sold(tid)
                assert by_terminal.get(tid, 0) == known[0], (t, by_terminal.get(tid, 0), known)
                assert {s for s, h in seat_holder.items() if h == tid} == known[1]
                sold_general += known[0]
                for s in known[1]:
                    assert s not in sold_anywhere, f"seat {s} sold twice"
                    sold_anywhere[s] = t
                continue
            held, sold = _local_general(ctx)
            governed = _governed(ctx)
            if governed:
                assert 0 <= sold <= held
                assert by_terminal.get(tid, 0) == held + sum(g["count"] for g in grants if not g["seats"]) + sum(
                    r["count"] for r in releases if r["section_id"] == GENERAL), (t, by_terminal, held, grants)
                sold_general += sold
            seats_held, seats_sold = _local_seats(ctx)
            if governed:
                central_mine = {s for s, h in seat_holder.items() if h == tid}
                coming = [s for g in grants for s in g["seats"]]
                going = [s for r in releases if r["section_id"] == RESERVED for s in r["seats"]]
                parts = [seats_held, set(coming), set(going)]
                assert len(coming) + len(going) + len(seats_held) == len(set().union(*parts)), "counted twice"
                # a house seat released to this terminal is sellable here: it counts like any seat it holds
                assert central_mine == set().union(*parts), (t, central_mine ^ set().union(*parts))
                assert seats_sold <= seats_held
                for s in seats_held:
                    assert s not in held_anywhere, f"seat {s} allocated at two terminals"
                    held_anywhere[s] = t
                for s in seats_sold:
                    assert s not in sold_anywhere, f"seat {s} sold twice"
                    sold_anywhere[s] = t
                assert not seats_held & web_seats, "a seat allocated at a terminal and web-sold"
        assert sold_general <= gen.capacity
        assert not self.db.all("SELECT id FROM conflicts WHERE kind = 'seat_sold_twice'")


Allocations.TestCase.settings = settings(
    max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
TestAllocations = Allocations.TestCase

