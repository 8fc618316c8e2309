"""The will-call screen driven through Textual's Pilot on a real terminal: finding an order by a name typed without
its accents and by phone digits, picking one of several, handing out some then the rest, a second pickup refused
with its reason, a note confirmed first, and an unpaid web order paid at the desk then handed out. What the screen
did is checked through the services."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from pickup_fixtures import Central, query, seller_desk
from textual.widgets import Input

from boxoffice.services.context import Ctx
from boxoffice.services.pickup import order_view
from boxoffice.tui.app import CounterApp
from boxoffice.tui.desk import Desk
from boxoffice.tui.screens.willcall import WillCallScreen


@pytest.fixture
def desk(terminal, demo_events, login) -> dict[str, dict]:  # noqa: ANN001
    return seller_desk(terminal, demo_events, login)


Steps = Callable[[Any, WillCallScreen, list[str]], Awaitable[None]]


def drive(ctx: Ctx, steps: Steps) -> list[str]:
    """Open the counter on the will-call screen, run ``steps`` with (pilot, screen, seen), return ``seen``."""
    seen: list[str] = []

    async def run() -> None:
        app = CounterApp(Desk(ctx), start="willcall")
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, WillCallScreen)
            await steps(pilot, screen, seen)

    asyncio.run(run())
    return seen


def text(screen: WillCallScreen, selector: str) -> str:
    return str(screen.query_one(selector).render())


async def search(pilot: Any, query_text: str) -> None:
    """Type a search as the desk does: Escape clears and puts the cursor in the box."""
    await pilot.press("escape")
    await pilot.press(*query_text)
    await pilot.press("enter")
    await pilot.pause()


def waiting(ctx: Ctx, code: str) -> int:
    return sum(1 for t in order_view(ctx, code)["tickets"] if not t["picked_up"])


def test_a_name_typed_without_accents_or_with_them_finds_the_order(terminal, desk) -> None:  # noqa: ANN001
    async def steps(pilot: Any, screen: WillCallScreen, seen: list[str]) -> None:
        await search(pilot, "zoe obrien")
        seen.append(text(screen, "#order"))
        await pilot.press("slash")
        assert screen.focused is screen.query_one("#search")
        await pilot.press("escape")
        seen.append(text(screen, "#message") + "|" + str(screen.query_one("#order").display))
        await search(pilot, "jürgen")
        seen.append(text(screen, "#order"))

    seen = drive(terminal, steps)
    assert "Zoë O'Brien" in seen[0] and desk["zoe"]["code"] in seen[0] and "3 left" in seen[0]
    assert "· Stalls F10" in seen[0]
    assert seen[1] == "|False"
    assert "Jürgen Straße" in seen[2]


def test_phone_digits_find_an_order_and_several_matches_are_picked_with_the_arrows(terminal, desk) -> None:  # noqa: ANN001
    async def steps(pilot: Any, screen: WillCallScreen, seen: list[str]) -> None:
        await pilot.press("escape")
        screen.query_one("#search", Input).value = desk["jazz"]["tickets"][1]["token"]  # a scanner types it
        await pilot.press("enter")
        await pilot.pause()
        seen.append(text(screen, "#order"))
        await search(pilot, "900123")
        seen.append(text(screen, "#order"))
        await pilot.press("escape")
        await search(pilot, "smi")
        seen.append(text(screen, "#message"))
        listing = screen.query_one("#results")
        seen.append(str(listing.option_count))  # type: ignore[attr-defined]
        await pilot.press("down", "enter")
        await pilot.pause()
        seen.append(str(listing.get_option_at_index(1).id))  # type: ignore[attr-defined]
        seen.append(str(screen.code))

    seen = drive(terminal, steps)
    assert "Noah Wright" in seen[0] and desk["jazz"]["code"] in seen[0]
    seen = seen[1:]
    assert "Zoë O'Brien" in seen[0]
    assert "2 orders match" in seen[1] and seen[2] == "2"
    assert seen[3] == seen[4]


def test_some_now_the_rest_later_then_a_second_pickup_is_refused_with_why(terminal, desk) -> None:  # noqa: ANN001
    code = desk["zoe"]["code"]
    counts: list[int] = []

    async def steps(pilot: Any, screen: WillCallScreen, seen: list[str]) -> None:
        await search(pilot, code)
        await pilot.press("n")
        await pilot.press("1", "enter")
        await pilot.pause()
        seen.append(text(screen, "#message"))
        counts.append(waiting(terminal, code))
        await pilot.press("n")
        await pilot.press(*"F12", "enter")
        await pilot.pause()
        seen.append(text(screen, "#message"))
        counts.append(waiting(terminal, code))
        await pilot.press("enter")
        await pilot.pause()
        seen.append(text(screen, "#message"))
        counts.append(waiting(terminal, code))
        await pilot.press("enter")
        await pilot.pause()
        seen.append(text(screen, "#message"))
        seen.append(text(screen, "#order"))

    seen = drive(terminal, steps)
    assert counts == [2, 1, 0]
    assert seen[0].startswith("✓ HANDED OUT 1 ticket(s)") and "Stalls F10" in seen[0] and "2 still" in seen[0]
    assert "Stalls F12" in seen[1] and "1 still" in seen[1]
    assert "Stalls F11" in seen[2]
    assert seen[3].startswith("✗ REFUSED (already_picked_up)") and "by sam" in seen[3]
    assert "3 handed out, 0 left" in seen[4] and "✓ Stalls F10" in seen[4]


def test_an_order_handed_out_already_says_by_whom_when_it_is_found(terminal, desk) -> None:  # noqa: ANN001
    from boxoffice.services.pickup import pick_up

    code = desk["strasse"]["code"]
    pick_up(terminal, code, print_now=False)

    async def steps(pilot: Any, screen: WillCallScreen, seen: list[str]) -> None:
        await search(pilot, "straße")
        seen.append(text(screen, "#message"))
        await pilot.press("enter")
        await pilot.pause()
        seen.append(text(screen, "#message"))

    seen = drive(terminal, steps)
    assert seen[0].startswith("✗ ALL HANDED OUT by sam on ") and f"order reprint {code}" in seen[0]
    assert seen[1].startswith(f"✗ REFUSED (already_picked_up): order {code}: 1 ticket(s) were handed out already")


def test_a_note_is_confirmed_before_anything_is_handed_out(terminal, desk) -> None:  # noqa: ANN001
    code = desk["wang"]["code"]

    async def steps(pilot: Any, screen: WillCallScreen, seen: list[str]) -> None:
        await search(pilot, code)
        seen.append(text(screen, "#order"))
        await pilot.press("enter")
        await pilot.pause()
        seen.append(str(screen.app.screen.query_one("#note").render()))
        await pilot.press("n")
        await pilot.pause()
        seen.append(text(screen, "#message"))
        seen.append(str(waiting(terminal, code)))
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        seen.append(text(screen, "#message"))

    seen = drive(terminal, steps)
    assert "! NOTE: ID required" in seen[0] and "ID required" in seen[1]
    assert "not confirmed" in seen[2] and seen[3] == "2"
    assert seen[4].startswith("✓ HANDED OUT 2 ticket(s)")
    assert waiting(terminal, code) == 0


def test_an_unpaid_web_order_is_paid_at_the_desk_then_handed_out(terminal, desk) -> None:  # noqa: ANN001
    code, order_id = desk["anna"]["code"], desk["anna"]["id"]

    async def steps(pilot: Any, screen: WillCallScreen, seen: list[str]) -> None:
        await search(pilot, "anna smith")
        seen.append(text(screen, "#message"))
        await pilot.press("enter")
        await pilot.pause()
        seen.append(text(screen, "#message"))
        await pilot.press("p")
        await pilot.pause()
        seen.append(str(screen.app.screen.query_one("#owed").render()))
        await pilot.press("5", "0", "enter")
        await pilot.pause()
        seen.append(text(screen, "#message"))
        await pilot.press("enter")
        await pilot.pause()
        seen.append(text(screen, "#message"))
        await pilot.press("p")
        await pilot.pause()
        seen.append(text(screen, "#message"))

    seen = drive(terminal, steps)
    assert seen[0].startswith("$ NOT PAID") and "press p" in seen[0]
    assert seen[1].startswith("$ NOT PAID")
    assert "owes 22.50 GBP" in seen[2]
    assert seen[3].startswith("✓ PAID") and "CHANGE 27.50" in seen[3]
    assert seen[4].startswith("✓ HANDED OUT 1 ticket(s)")
    assert seen[5].startswith("✗ REFUSED (already_paid)")
    assert order_view(terminal, code)["status"] == "paid" and waiting(terminal, code) == 0
    assert query(terminal, "SELECT tender, amount, change FROM payments WHERE order_id = ?",
                 (order_id,)) == [("cash", 22_50, 27_50)]


def test_a_pickup_volunteer_is_sent_to_a_seller_to_take_money(terminal, desk, login) -> None:  # noqa: ANN001
    login(terminal, "pat")

    async def steps(pilot: Any, screen: WillCallScreen, seen: list[str]) -> None:
        await search(pilot, desk["anna"]["code"])
        await pilot.press("p")
        await pilot.pause()
        seen.append(text(screen, "#message"))

    seen = drive(terminal, steps)
    assert seen[0].startswith("✗ REFUSED (permission_denied)")
    assert order_view(terminal, desk["anna"]["code"])["status"] == "unpaid"


def test_a_real_name_order_asks_for_a_holders_id_first(terminal, login) -> None:  # noqa: ANN001
    from pickup_fixtures import Seat, orders_doc, web_order
    from realname_kit import LI_NUMBER, WANG_NUMBER, make_real_name

    from boxoffice.domain.customer_ids import id_hash
    from boxoffice.services.venue_secret import adopt_central
    from boxoffice.services.web_orders import import_keys, import_orders
    from boxoffice.tickets import holder_binding

    gala = make_real_name(terminal)
    secret = "ab" * 32
    adopt_central(terminal, secret)
    central = Central.make()
    order = web_order(central, gala, "王小明", [Seat("standing", price="22.50")] * 2)
    for t, (name, number) in zip(order["tickets"], [("李小明", LI_NUMBER), ("王芳", WANG_NUMBER)], strict=True):
        digest, last4 = id_hash(bytes.fromhex(secret), "resident", number)
        t["holder"] = {"name": name, "id_kind": "resident", "id_hash": digest, "id_last4": last4,
                       "binding": holder_binding.sign(t["id"], t["token"],
                                                      holder_binding.Holder(name, "resident", digest, last4),
                                                      central.private)}
    import_keys(terminal, central.keys_doc())
    import_orders(terminal, orders_doc([order]))
    login(terminal, "pat")
    code = order["code"]

    async def steps(pilot: Any, screen: WillCallScreen, seen: list[str]) -> None:
        await search(pilot, code)
        await pilot.press("enter")
        await pilot.pause()
        seen.append(str(screen.app.screen.query_one("#question").render()))
        await pilot.press(*"1234", "enter")
        await pilot.pause()
        seen.append(text(screen, "#message"))
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press(*"0024", "enter")
        await pilot.pause()
        seen.append(text(screen, "#message"))

    seen = drive(terminal, steps)
    assert "real-name" in seen[0]
    assert seen[1].startswith("✗ REFUSED (holder_mismatch)")
    assert seen[2].startswith("✓ HANDED OUT 2 ticket(s)") and "王芳 · ID ****0024" in seen[2]
    assert waiting(terminal, code) == 0


def test_the_next_code_typed_or_scanned_at_the_order_on_screen_starts_the_next_search(terminal, desk) -> None:  # noqa: ANN001
    from textual import events
    from textual.keys import _character_to_key

    first, second = desk["strasse"]["code"], desk["zoe"]["code"]

    async def steps(pilot: Any, screen: WillCallScreen, seen: list[str]) -> None:
        await search(pilot, first)
        await pilot.press("enter")
        await pilot.pause()
        seen.append(text(screen, "#message"))
        # A scanner types the next code and its Enter at once, at the order handed out: no Escape, no / first.
        for ch in second:
            screen.app.post_message(events.Key(ch if ch.isalnum() else _character_to_key(ch), ch))
        screen.app.post_message(events.Key("enter", "\r"))
        await pilot.pause()
        await pilot.pause()
        seen.append(text(screen, "#order"))
        await pilot.press("enter")
        await pilot.pause()
        seen.append(text(screen, "#message"))

    seen = drive(terminal, steps)
    assert seen[0].startswith("✓ HANDED OUT 1 ticket(s)")
    assert "Zoë O'Brien" in seen[1] and second in seen[1] and "3 left" in seen[1]
    assert seen[2].startswith("✓ HANDED OUT 3 ticket(s)")
    assert waiting(terminal, first) == 0 and waiting(terminal, second) == 0


def test_a_found_order_is_drawn_with_the_keys_that_work_on_it_from_its_first_frame(terminal, desk) -> None:  # noqa: ANN001
    """The search box shows two keys at the bottom, a found order five (Enter hands it out). The first frame that
    shows the order shows its keys: they came a frame later before, after a frame of the order with the search
    box's keys, where Enter "Hand out" was missing."""
    code = desk["zoe"]["code"]

    async def steps(pilot: Any, screen: WillCallScreen, seen: list[str]) -> None:
        app = screen.app
        draw = app._display

        def display(drawn_screen: Any, update: Any) -> None:  # every frame the app draws, as it looks
            draw(drawn_screen, update)
            if update is not None:
                seen.append(app.export_screenshot())

        app._display = display
        await search(pilot, code)
        await pilot.pause()

    frames = [frame for frame in drive(terminal, steps) if "Brien" in frame]  # the order on screen
    assert frames
    assert all("Hand" in frame for frame in frames)
