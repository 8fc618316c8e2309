"""Names and reasons that reach a pickup desk from elsewhere (a web order through the central service, a peer
terminal's sale, a central pause) are shown with no escape sequence, C0 or C1 control or bidi override in them:
on every screen (find, order, counter, door, reports, pause list, refusals). --json keeps the data exactly, with
those characters escaped."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sync_helpers import Central, sync

from boxoffice.domain.shown import shown, shown_lines
from boxoffice.services.context import Ctx

pytest_plugins = ["sync_support"]

# what a peer terminal of an older release could put in a sale: retitle the window, clear the screen, flip the text
PEER_NAME = "Eve \x1b]0;pwned\x07\x1b[2J\u202eevil\u202c Smith"
# what the central's web-orders import takes (it refuses C0 only): an 8-bit CSI, NEL and a right-to-left override
WEB_NAME = "Mallory \x9b2J\x85\u202etxt.exe Jones"
PAUSE_REASON = "doors \x9b31m\u202eclosed"
BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


def _clean(*texts: str) -> None:
    """No ESC, no other C0 control but the newline, no C1 control, no bidi control: only what a person can read."""
    for text in texts:
        bad = [c for c in text if (ord(c) < 32 and c != "\n") or 0x7F <= ord(c) <= 0x9F or c in BIDI]
        assert not bad, f"{bad!r} in {text!r}"


def test_shown_keeps_every_script_and_replaces_controls() -> None:
    assert shown("王小明 Zoë Ødegaard 👩‍👩‍👧") == "王小明 Zoë Ødegaard 👩‍👩‍👧"  # the joiners stay
    assert shown(PEER_NAME) == "Eve \ufffd]0;pwned\ufffd\ufffd[2J\ufffdevil\ufffd Smith"
    assert shown("a\nb\tc") == "a\ufffdb\ufffdc" and shown_lines("a\nb\tc\x85") == "a\nb c\ufffd"
    _clean(shown(WEB_NAME), shown("".join(map(chr, range(0xA0)))))


def _peer_sale(ctx: Ctx, event: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A sale named PEER_NAME, as a terminal that did not check names (an older release) would make it."""
    from boxoffice.domain.tenders import Tender
    from boxoffice.services import sales

    with monkeypatch.context() as m:
        m.setattr(sales, "_clean", lambda value, what: value)
        out = sales.sell(ctx, sales.SaleRequest(event_id=event, section_id="standing", counts={"adult": 1},
                                                tenders=[Tender("cash", 100_00)], customer_name=PEER_NAME,
                                                print_receipt=False))
    return out["order"]["code"]


def test_hostile_names_from_the_central_service_and_a_peer_reach_no_screen_raw(
        central: Central, terminals: Callable[..., list[Ctx]], cli: Callable, login: Callable, tmp_path: Path,
        demo_events: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from boxoffice.central.services.pauses import pause as central_pause

    gala = demo_events[0]
    peer, desk = terminals(2)
    sync(peer)
    peer_code = _peer_sale(peer, gala, monkeypatch)
    web = central.web_orders([{"ref": f"hostile-{desk.terminal['tag']}", "event_id": gala, "customer_name": WEB_NAME,
                               "email": "mallory@example.com", "tickets": [{"section_id": "standing",
                                                                            "type": "adult"}]}], tmp_path)
    web_code = web["codes"][0]
    sync(peer)
    sync(desk)
    outputs: list[Any] = []

    def run(*args: str, **kw: Any) -> Any:
        r = cli(*args, db=desk, **kw)
        outputs.append(r)
        return r

    found = run("pickup", "find", "Mallory")
    assert found.exit_code == 0 and web_code in found.stdout and "txt.exe Jones" in found.stdout, found.output
    assert "Eve" in run("pickup", "find", "Eve").stdout
    assert "pwned" in run("order", "show", peer_code).stdout
    assert "Mallory" in run("order", "show", web_code).stdout
    as_json = run("order", "show", web_code, "--json")
    assert json.loads(as_json.stdout)["customer_name"] == WEB_NAME  # the data itself is kept
    assert json.loads(run("order", "show", peer_code, "--json").stdout)["customer_name"] == PEER_NAME
    # the counter screen: typed name, then the order comes up
    counter = run("counter", "--event", gala, input="Mallory\nq\n")
    assert "Mallory" in counter.stdout, counter.output
    run("report", "pickups", "--event", gala)
    run("report", "pickups", "--event", gala, "--csv")
    run("report", "sales", "--by", "operator")
    # the door: the web ticket scanned
    token = desk.conn.execute("SELECT t.token FROM tickets t JOIN orders o ON o.id = t.order_id WHERE o.code = ?",
                              (web_code,)).fetchone()[0]
    login(desk, "dan")
    run("scan", "check", "--event", gala, input=token + "\n")
    login(desk, "ada")
    # a pause from the central service with a hostile reason: the list, and the refusal it causes
    central_pause(central.db_url, PAUSE_REASON, what="sales", event=gala)
    sync(desk)
    listed = run("pause", "list")
    assert "closed" in listed.stdout, listed.output
    refused = run("sell", gala, "-s", "standing", "-t", "adult=1", "--cash", "100")
    assert refused.exit_code == 10 and "closed" in refused.stderr, refused.output
    refused_json = run("sell", gala, "-s", "standing", "-t", "adult=1", "--cash", "100", "--json")
    assert PAUSE_REASON in json.loads(refused_json.stdout)["error"]["message"]
    for r in outputs:
        _clean(r.stdout, r.stderr)


def test_the_counter_service_replies_reach_the_screen_clean(
        central: Central, terminals: Callable[..., list[Ctx]], tmp_path: Path, demo_events: tuple[str, str],
        capsys: pytest.CaptureFixture[str]) -> None:
    """The full-screen counter prints each reply line through the same helper as every command."""
    from boxoffice.cli.counter.screen import _show
    from boxoffice.services.counter import Counter

    gala = demo_events[0]
    (desk,) = terminals(1)
    web = central.web_orders([{"ref": f"counter-{desk.terminal['tag']}", "event_id": gala, "customer_name": WEB_NAME,
                               "tickets": [{"section_id": "standing", "type": "adult"}]}], tmp_path)
    sync(desk)
    reply = Counter(desk, gala).handle(web["codes"][0])
    assert any("Mallory" in ln.text for ln in reply.lines)
    _show(reply)
    out = capsys.readouterr()
    assert "Mallory" in out.out
    _clean(out.out, out.err)


def test_every_command_prints_through_the_safe_helpers() -> None:
    """No module of the CLI prints by itself: everything goes through cli/common.py's echo, secho, confirm,
    styled/echo_styled, emit_json or json_text, which pass it through domain.shown. (cli/app.py's error path too.)"""
    import re

    root = Path(__file__).resolve().parent.parent / "boxoffice" / "cli"
    direct = re.compile(r"\btyper\.(echo|secho|style|confirm|prompt)\(|\bclick\.echo\(|\bprint\(|json\.dumps\(")
    allowed = ("typer.prompt(",)  # the PIN prompt: a fixed question, nothing synced in it
    found = []
    for path in root.rglob("*.py"):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not direct.search(line):
                continue
            helper = path.name == "common.py" and (any(a in line for a in allowed) or re.search(
                r"typer\.(echo|secho|style|confirm)\((shown|shown_lines)\(|join\(pieces\)|json\.dumps\(data", line))
            if not helper:
                found.append(f"{path.relative_to(root)}:{n}: {line.strip()}")
    assert not found, "\n".join(found)
