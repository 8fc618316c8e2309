"""The full-screen counter in Simplified Chinese: BOXOFFICE_LANG=zh_CN from login through a sale to payment, the
will-call screen (a Chinese name found by its pinyin, the list of matches in columns that line up) and the door.
Every message the screens look up must be in the catalogue: BOXOFFICE_I18N_MISSING records any that is not, and
the file must stay empty."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pickup_fixtures import Central, setup_desk, standard_orders
from rich.cells import cell_len
from textual.widgets import Digits, OptionList
from textual.widgets._footer import FooterKey

from boxoffice import i18n
from boxoffice.domain.tenders import Tender
from boxoffice.services.context import Ctx
from boxoffice.services.sales import SaleRequest, sell
from boxoffice.tui.app import CounterApp
from boxoffice.tui.desk import Desk
from boxoffice.tui.screens.door import DoorScreen
from boxoffice.tui.screens.pay import PayScreen
from boxoffice.tui.screens.sale import SaleScreen
from boxoffice.tui.screens.willcall import WillCallScreen

GALA_EVENING = "2026-12-08T19:00:00Z"


def _reset_language() -> None:
    i18n._catalogues.clear()
    i18n._current.clear()
    i18n._state["language"] = None


@pytest.fixture
def chinese(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """The program in Chinese for this test, every lookup that misses written to the file returned."""
    missing = tmp_path / "missing.txt"
    monkeypatch.setenv("BOXOFFICE_LANG", "zh_CN")
    monkeypatch.setenv("BOXOFFICE_I18N_MISSING", str(missing))
    _reset_language()
    assert i18n.language() == "zh_CN"
    yield missing
    monkeypatch.undo()
    _reset_language()


def shown(app: CounterApp, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


def footer(app: CounterApp) -> list[str]:
    return [k.description for k in app.screen.query(FooterKey) if k.display]


async def type_in(pilot: Any, text: str, enter: bool = True) -> None:
    await pilot.press(*list(text))
    if enter:
        await pilot.press("enter")
    await pilot.pause()


def test_the_counter_in_chinese_login_sale_willcall_door(terminal: Ctx, demo_events: tuple[str, str], clock: Any,
                                                        chinese: Path, tmp_path: Path) -> None:
    from boxoffice.services.operators import logout

    central = Central.make()
    orders = standard_orders(central, *demo_events)
    setup_desk(terminal, central, orders)
    token = sell(terminal, SaleRequest(event_id=demo_events[0], section_id="stalls", counts={"adult": 1},
                                       tenders=[Tender("cash", 20000)], print_receipt=False))["tickets"][0]["token"]
    terminal.config.values["printer"] = f"file://{tmp_path / 'printer.bin'}"
    logout(terminal)
    seen: dict[str, Any] = {}

    async def main() -> None:
        app = CounterApp(Desk(terminal, event_id=demo_events[0]), start="sale")
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            # -- login
            seen["login"] = " ".join(str(w.render()) for w in app.screen.query("Label"))
            seen["login_keys"] = footer(app)
            await type_in(pilot, "ada")
            await type_in(pilot, "123456")
            assert isinstance(app.screen, SaleScreen)
            # -- a sale, to payment
            seen["status"] = shown(app, "StatusBar")
            seen["modes"] = shown(app, "ModeBar")
            seen["sale_keys"] = footer(app)
            await pilot.press("s", "plus", "plus", "a")
            seen["top"] = shown(app, "#sale-top")
            seen["basket"] = shown(app, "#basket")
            seen["sale_msg"] = shown(app, "#sale-msg")
            await pilot.press("p")
            assert isinstance(app.screen, PayScreen)
            seen["due"] = shown(app, "#due")
            seen["pay_keys"] = footer(app)
            await pilot.press(*"100")
            seen["preview"] = shown(app, "#cash-preview")
            await pilot.press("enter")
            await pilot.pause()
            seen["sold"] = shown(app, "#sold")
            seen["change"] = (shown(app, "#change-label"), app.screen.query_one("#change", Digits).value)
            await pilot.press("enter")
            await pilot.pause()
            seen["after_sale"] = shown(app, "#sale-msg")
            # -- will-call: a Chinese name by its pinyin, then a list of matches
            await pilot.press("f3")
            await pilot.pause()
            assert isinstance(app.screen, WillCallScreen)
            seen["willcall_keys"] = footer(app)
            await pilot.press("escape")
            await type_in(pilot, "wang xiao ming")
            seen["order"] = shown(app, "#order")
            seen["found"] = shown(app, "#message")
            await pilot.press("enter")
            await pilot.pause()
            seen["note"] = shown(app, "#note")
            await pilot.press("y")
            await pilot.pause()
            seen["handed"] = shown(app, "#message")
            await pilot.press("escape")
            await type_in(pilot, "smi")
            listing = app.screen.query_one("#results", OptionList)
            seen["listing"] = [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]
            seen["several"] = shown(app, "#message")
            # -- the door
            clock.set(GALA_EVENING)
            await pilot.press("f4")
            await pilot.pause()
            assert isinstance(app.screen, DoorScreen)
            seen["door_mode"] = shown(app, "#door-mode")
            seen["ready"] = shown(app, "#answer")
            await pilot.press(*token, "enter")
            for _ in range(300):
                await pilot.pause(0.01)
                if app.screen.answers and not app.screen._draining:
                    break
            await pilot.pause()
            seen["admit"] = shown(app, "#answer")
            seen["counts"] = shown(app, "#counts")

    asyncio.run(main())

    assert not chinese.exists() or chinese.read_text(encoding="utf-8") == "", chinese.read_text(encoding="utf-8")
    assert "姓名" in seen["login"] and "PIN 码" in seen["login"] and "登录" in seen["login"]
    assert "主管解锁" in seen["login_keys"]
    assert "管理员" in seen["status"] and "已开班" in seen["status"] or "未开班" in seen["status"]
    assert "[F2 售票]" in seen["modes"] and "取票" in seen["modes"] and "锁定" in seen["modes"]
    assert {"演出", "区域", "加入", "付款"} <= set(seen["sale_keys"])
    assert "演出：" in seen["top"] and "区域：" in seen["top"]
    assert "购物篮" in seen["basket"] and "合计" in seen["basket"] and "含税" in seen["basket"]
    assert "已加入 2 个位置" in seen["sale_msg"]
    assert seen["due"].startswith("应付 ") and {"现金", "银行卡", "收款"} <= set(seen["pay_keys"])
    assert seen["preview"].startswith("找零 ")
    assert seen["sold"].startswith("✓ 已售出 ") and seen["change"][0] == "找零"
    assert seen["after_sale"].startswith("✓ 已售出 ")
    assert {"搜索", "清除"} <= set(seen["willcall_keys"])
    assert "王小明" in seen["order"] and "! 备注：ID required" in seen["order"] and "待取" in seen["order"]
    assert "2 张票待取" in seen["found"]
    assert "的备注" in seen["note"]
    assert seen["handed"].startswith("✓ 已取出 ") and orders["wang"]["code"] in seen["handed"]
    assert "个订单匹配" in seen["several"] and len(seen["listing"]) >= 2
    assert any("已取 0/1" in line for line in seen["listing"]) and any("$ 未付款" in line for line in seen["listing"])
    assert "入场模式" in seen["door_mode"] and "就绪：请扫码检票" in seen["ready"]
    assert "✔ 入场 ✔" in seen["admit"] and "票种：" in seen["admit"] and "座位：" in seen["admit"]
    assert seen["counts"].startswith("已入场 1 / 已售 ")


def test_the_will_call_list_lines_up_with_chinese_names(terminal: Ctx, demo_events: tuple[str, str],
                                                      chinese: Path) -> None:
    """A Chinese name takes two cells a character: the event column starts in the same screen column on every line,
    and each line fits the 80 columns."""
    central = Central.make()
    orders = standard_orders(central, *demo_events)
    setup_desk(terminal, central, orders)
    from boxoffice.tui.screens.willcall import _result_line

    lines = [_result_line({"code": o["code"], "name": o["customer"]["name"], "event": "Winter Gala",
                           "channel": "web", "status": "paid", "tickets": 2, "picked_up": 0})
             for o in orders.values()]
    columns = {cell_len(line[:line.index("Winter Gala")]) for line in lines}
    assert len(columns) == 1, lines
    assert all(cell_len(line) <= 78 for line in lines)
    assert not chinese.exists() or chinese.read_text(encoding="utf-8") == ""
