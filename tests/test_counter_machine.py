"""The counter's dialogue, line by line, without a terminal: what each line does and what it never leaves half-done."""

from __future__ import annotations

import os
import signal

import pytest
from pickup_fixtures import Central, query, setup_desk, standard_orders

from boxoffice.errors import BoxOfficeError
from boxoffice.services.counter import Counter, parse_sale

GALA_EVENING = "2026-12-08T19:00:00Z"


@pytest.fixture
def desk(terminal, demo_events, clock, login) -> dict[str, dict]:  # noqa: ANN001
    central = Central.make()
    orders = standard_orders(central, *demo_events)
    setup_desk(terminal, central, orders)
    clock.set(GALA_EVENING)
    login(terminal, "sue")  # a supervisor: hands out, sells and scans
    return orders


def texts(reply) -> list[str]:  # noqa: ANN001
    return [ln.text for ln in reply.lines]


def styles(reply) -> list[str]:  # noqa: ANN001
    return [ln.style for ln in reply.lines]


def test_a_code_brings_the_order_up_and_enter_hands_it_out(terminal, desk) -> None:  # noqa: ANN001
    c = Counter(terminal, "gala-1208")
    code = desk["zoe"]["code"]
    shown = c.handle(code.lower().replace("-", ""))
    assert texts(shown)[0].startswith(f"{code}  Zoë O'Brien  Winter Gala  paid")
    assert "Enter: hand out 3 ticket(s); p N: hand out N" in texts(shown)
    assert c.prompt() == f"desk {code}> "
    done = c.handle("")
    assert styles(done)[0] == "ok" and texts(done)[0].startswith(f"HANDED OUT {code}: 3 ticket(s)")
    assert c.prompt() == "desk> "
    assert texts(c.handle("")) == ["nothing on screen: scan a ticket or type a code, name or phone"]
    again = c.handle(code)
    assert "nothing left to hand out" in texts(again)
    refused = c.handle("p")
    assert styles(refused) == ["refused"] and "handed out already, by sue" in texts(refused)[0]


def test_several_matches_are_numbered_and_chosen_by_number(terminal, desk) -> None:  # noqa: ANN001
    c = Counter(terminal)
    listed = c.handle("smi")
    assert texts(listed)[0] == "2 orders match; type a number to choose:"
    assert desk["anna"]["code"] in texts(listed)[1] and "NOT PAID" in texts(listed)[1]
    chosen = c.handle("2")
    assert texts(chosen)[0].startswith(desk["annabel"]["code"])
    partial = c.handle("p 1")
    assert texts(partial)[0].startswith(f"HANDED OUT {desk['annabel']['code']}: 1 ticket(s)")


def test_a_note_asks_first_and_no_is_nothing(terminal, desk) -> None:  # noqa: ANN001
    c = Counter(terminal)
    shown = c.handle("王小明")
    assert "NOTE: ID required" in texts(shown)
    asked = c.handle("")
    assert asked.ask == "NOTE: ID required - checked?" and c.prompt() == "NOTE: ID required - checked? [y/N] "
    assert texts(c.handle("")) == ["cancelled: nothing was handed out"]
    assert query(terminal, "SELECT count(*) FROM pickups") == [(0,)]
    c.handle("p 1")
    first = c.handle("y")
    assert texts(first)[0].startswith(f"HANDED OUT {desk['wang']['code']}: 1 ticket(s)")
    assert "1 ticket(s) still to hand out later" in texts(first)
    assert c.handle("p").ask is not None  # the rest: the note is asked about again
    assert texts(c.handle("yes"))[0].startswith(f"HANDED OUT {desk['wang']['code']}: 1 ticket(s)")


def test_ctrl_c_cancels_what_is_on_screen_and_twice_quits(terminal, desk) -> None:  # noqa: ANN001
    c = Counter(terminal)
    c.handle(desk["wang"]["code"])
    c.handle("")
    first = c.interrupt()
    assert not first.quit and texts(first) == ["cancelled: nothing was handed out (Ctrl-C again to quit)"]
    assert c.pending is None and query(terminal, "SELECT count(*) FROM pickups") == [(0,)]
    assert c.interrupt().quit is True
    c2 = Counter(terminal)
    c2.handle(desk["zoe"]["code"])
    assert texts(c2.interrupt()) == ["cleared (Ctrl-C again to quit)"] and c2.current is None
    c2.handle("h")  # any line in between: the next Ctrl-C is a first one again
    assert c2.interrupt().quit is False
    assert c2.handle("q").quit is True


def test_a_quick_sale(terminal, desk) -> None:  # noqa: ANN001
    c = Counter(terminal, "gala-1208")
    sold = c.handle("s standing adult=2 cash 50")
    assert styles(sold)[:2] == ["ok", "ok"]
    assert texts(sold)[0].endswith("2 ticket(s)  total 45.00 GBP") and texts(sold)[1] == "CHANGE 5.00"
    code = sold.data["order"]
    assert query(terminal, "SELECT channel, total FROM orders WHERE code = ?", (code,)) == [("box_office", 4500)]
    assert texts(c.handle("s standing adult=1 child card 4242"))[0].startswith("SOLD")
    for line, says in [("s standing adult=2", "say how it is paid"), ("s standing cash 50", "say what to sell"),
                       ("s standing adult=2 cash", "needs an amount"), ("s balcony adult=1 cash 50", "no section"),
                       ("s standing adult=2 cash 10", "")]:
        reply = c.handle(line)
        assert styles(reply) == ["refused"], (line, texts(reply))
        assert says in texts(reply)[0]
    assert query(terminal, "SELECT count(*) FROM orders WHERE channel = 'box_office'") == [(2,)]


def test_parse_sale_reads_the_mini_syntax() -> None:
    req = parse_sale("Standing adult=2 child cash 50 card 4242:10", "gala-1208", "GBP")
    assert (req.section_id, req.counts) == ("standing", {"adult": 2, "child": 1})
    assert [(t.tender, t.amount, t.card_last4) for t in req.tenders] == [("cash", 5000, None), ("card", 1000, "4242")]
    with pytest.raises(BoxOfficeError, match="put ticket types first"):
        parse_sale("standing cash 50 adult=1", "gala-1208", "GBP")


def test_door_mode_admits_once_and_exit_mode_needs_reentry(terminal, desk) -> None:  # noqa: ANN001
    c = Counter(terminal, "gala-1208")
    assert texts(c.handle("d"))[0].startswith("door mode for Winter Gala")
    assert c.prompt() == "door IN Winter Gala> "
    t = desk["strasse"]["tickets"][0]["token"]
    admit = c.handle(t)
    assert styles(admit) == ["admit"] and texts(admit) == ["ADMIT  Stalls G5"]
    refused = c.handle(t)
    assert styles(refused) == ["refused"] and texts(refused) == ["REFUSED: already in since 19:00"]
    assert "no re-entry" in texts(c.handle("x"))[0] and not c.exit_mode
    assert c.handle("").lines == []
    assert texts(c.handle("d"))[0].startswith("desk mode")


def test_at_the_door_a_bare_command_word_is_a_command_and_anything_longer_a_scan(terminal, desk) -> None:  # noqa: ANN001
    c = Counter(terminal, "gala-1208", door=True)
    assert texts(c.handle("  HELP  "))[0] == "desk (pickup and walk-up sales)"
    assert "no re-entry" in texts(c.handle(" X "))[0]
    for line in ("helps", "help me", "x x", "q 1", " d  d "):
        reply = c.handle(line)
        assert styles(reply) == ["refused"] and texts(reply)[0].startswith("REFUSED: not a ticket token"), line
    assert c.mode == "door" and c.handle(" Q ").quit


def test_the_counter_needs_someone_logged_in_and_says_what_each_role_may(terminal, desk, login) -> None:  # noqa: ANN001
    from boxoffice.services.operators import logout

    login(terminal, "pat")
    c = Counter(terminal, "gala-1208")
    assert "pat (pickup) may not" in texts(c.handle("d"))[0] and c.mode == "desk"
    assert "pat (pickup) may not" in texts(c.handle("s standing adult=1 cash 50"))[0]
    logout(terminal)
    with pytest.raises(BoxOfficeError) as exc:
        Counter(terminal)
    assert exc.value.code == "not_logged_in"


def test_help_lists_every_command(terminal, desk) -> None:  # noqa: ANN001
    shown = "\n".join(texts(Counter(terminal).handle("?")))
    for word in ("Enter or p", "p N", "s SECTION", "e EVENT", "x ", "d ", "q "):
        assert word in shown


def test_ctrl_c_while_an_action_saves_waits_for_it() -> None:
    from boxoffice.cli.counter.keyboard import _hold_interrupts

    with _hold_interrupts() as held:
        os.kill(os.getpid(), signal.SIGINT)  # delivered here, held until the block ends
        finished = True
    assert finished and held == [signal.SIGINT]
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)


def test_lines_that_arrive_together_are_answered_in_order_with_one_commit(terminal, desk, demo_events) -> None:  # noqa: ANN001
    from pickup_fixtures import Seat, orders_doc, web_order

    from boxoffice.services.web_orders import import_orders

    c = Counter(terminal, "gala-1208", door=True)
    t1, t2 = desk["strasse"]["tickets"][0]["token"], desk["zoe"]["tickets"][0]["token"]
    commits = []
    terminal.conn.set_trace_callback(lambda sql: commits.append(sql) if sql.strip().upper() == "COMMIT" else None)
    try:
        replies = c.handle_lines([t1, t1, "h", t2, "junk", "d", desk["zoe"]["code"]])
    finally:
        terminal.conn.set_trace_callback(None)
    assert [texts(r)[0] for r in replies[:2]] == ["ADMIT  Stalls G5", "REFUSED: already in since 19:00"]
    assert texts(replies[2])[0] == "desk (pickup and walk-up sales)"  # help, in its place
    assert [texts(r)[0] for r in replies[3:6]] == ["ADMIT  Stalls F10", "REFUSED: not a ticket token (character "
                                                   "'j' is not in the Base45 alphabet): scan again, or refuse "
                                                   "entry; send the customer to the box office",
                                                   "desk mode: find orders, hand them out, sell"]
    assert texts(replies[6])[0].startswith(desk["zoe"]["code"])  # back at the desk: the order comes up
    assert len(commits) == 2  # two runs of scans, one commit each
    assert query(terminal, "SELECT result FROM checkins ORDER BY rowid") == [
        ("admitted",), ("already_checked_in",), ("admitted",), ("malformed_token",)]
    late = web_order(Central.make(), demo_events[0], "Unknown Key", [Seat("standing", price="22.50")])
    with pytest.raises(BoxOfficeError):
        import_orders(terminal, orders_doc([late]))  # (its key is not trusted: nothing imported)
    c.handle("d")
    refused = c.handle_lines([late["tickets"][0]["token"], "q", t2])
    assert texts(refused[0]) == [refused[0].lines[0].text] and "unknown key" in texts(refused[0])[0]
    assert refused[-1].quit and len(refused) == 2  # q ends the batch: nothing after it is scanned
