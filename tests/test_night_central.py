"""The emergency pause set on the central service: a terminal refuses sales after one sync, with the reason, and
sells again after the resume reaches it; a pause for one terminal stops that terminal only."""

from __future__ import annotations

import pytest
from sync_helpers import Central, enroll, sync

from boxoffice.errors import BoxOfficeError
from boxoffice.services import pauses

pytest_plugins = ["sync_support"]  # the central service on loopback (SQLite and PostgreSQL), enrolled terminals

PAUSED = 10


def _sell(cli, ctx, event: str):  # noqa: ANN001, ANN202
    return cli("sell", event, "--section", "standing", "--type", "adult=1", "--card", "4242", "--json", db=ctx)


def _sold(result) -> bool:  # noqa: ANN001
    return result.exit_code in (0, 7)  # 7: sold, the printer aside


def test_a_central_pause_refuses_a_sale_on_a_terminal_after_one_sync(central: Central, terminals, cli,  # noqa: ANN001
                                                                     demo_events) -> None:
    gala, jazz = demo_events
    a, b = terminals(2)
    for t in (a, b):
        sync(t)
    assert _sold(_sell(cli, a, gala))

    set_ = cli("central", "pause", "sales", "--db", central.db_url, "--reason", "evacuation of the foyer",
               "--by", "duty manager", "--json")
    assert set_.exit_code == 0, set_.output
    body = set_.json()
    assert (body["scope"], body["what"], body["target"]) == ("all", "sales", None)
    listed = cli("central", "pause", "list", "--db", central.db_url, "--json").json()
    assert body["id"] in [p["id"] for p in listed]

    assert _sold(_sell(cli, a, gala)), "not synced yet: the terminal does not know"
    sync(a)
    refused = _sell(cli, a, gala)
    assert refused.exit_code == PAUSED, refused.output
    error = refused.json()["error"]
    assert error["code"] == "sales_paused" and "evacuation of the foyer" in error["message"]
    assert _sell(cli, a, jazz).exit_code == PAUSED, "everything was paused"
    shown = cli("pause", "list", "--json", db=a).json()
    assert [(p["id"], p["source"]) for p in shown] == [(body["id"], "central")]

    assert _sold(_sell(cli, b, gala)), "b has not synced since"
    sync(b)
    assert _sell(cli, b, gala).exit_code == PAUSED

    lifted = cli("central", "resume", "--db", central.db_url, "--json")
    assert lifted.exit_code == 0, lifted.output
    assert [p["id"] for p in lifted.json()] == [body["id"]]
    assert body["id"] not in [p["id"] for p in cli("central", "pause", "list", "--db", central.db_url,
                                                   "--json").json()]
    assert _sell(cli, a, gala).exit_code == PAUSED, "the resume reaches a terminal at its sync too"
    sync(a)
    assert _sold(_sell(cli, a, gala))
    assert pauses.active(a) == []


def test_a_central_pause_for_one_terminal_or_one_event(central: Central, terminals, cli, demo_events) -> None:  # noqa: ANN001
    gala, jazz = demo_events
    a, b = terminals(2)
    r = cli("central", "pause", "sales", "--db", central.db_url, "--terminal", a.terminal["name"],
            "--reason", "till 1 being serviced", "--json")
    assert r.exit_code == 0, r.output
    assert r.json()["target"] == a.terminal["id"]
    r = cli("central", "pause", "sales", "--db", central.db_url, "--event", jazz, "--reason", "jazz postponed")
    assert r.exit_code == 0, r.output
    for t in (a, b):
        sync(t)
    assert _sell(cli, a, gala).exit_code == PAUSED
    assert _sold(_sell(cli, b, gala)), "another terminal's pause does not stop this one"
    refused = _sell(cli, b, jazz)
    assert refused.exit_code == PAUSED and "jazz postponed" in refused.json()["error"]["message"]
    assert [p["reason"] for p in pauses.active(b)] == ["jazz postponed"], "b is not sent a's pause"

    missing = cli("central", "pause", "sales", "--db", central.db_url, "--event", "no-such-event", "--reason", "x")
    assert missing.exit_code == 3
    unknown = cli("central", "pause", "sales", "--db", central.db_url, "--terminal", "nobody", "--reason", "x")
    assert unknown.exit_code == 3
    assert cli("central", "resume", "--db", central.db_url, "--terminal", a.terminal["name"]).exit_code == 0
    sync(a)
    assert _sold(_sell(cli, a, gala))
    with pytest.raises(BoxOfficeError):
        pauses.check(a, "sales", jazz)
    assert cli("central", "resume", "--db", central.db_url, "--event", jazz).exit_code == 0


def test_central_pauses_of_pickups_and_scans_leave_sales_alone(central: Central, terminals, cli,  # noqa: ANN001
                                                               demo_events) -> None:
    gala, _ = demo_events
    (a,) = terminals(1)
    assert cli("central", "pause", "scans", "--db", central.db_url, "--reason", "doors held").exit_code == 0
    assert cli("central", "pause", "pickups", "--db", central.db_url, "--reason", "desk moved").exit_code == 0
    sync(a)
    assert _sold(_sell(cli, a, gala))
    with pytest.raises(BoxOfficeError) as scans:
        pauses.check(a, "scans", gala)
    assert "doors held" in scans.value.message
    with pytest.raises(BoxOfficeError) as pickups:
        pauses.check(a, "pickups", gala, "web")
    assert "desk moved" in pickups.value.message
    listed = cli("central", "pause", "list", "--db", central.db_url, "--json").json()
    (scans_pause,) = [p for p in listed if p["what"] == "scans"]
    assert cli("central", "resume", "--db", central.db_url, "--id", scans_pause["id"][-8:]).exit_code == 0
    sync(a)
    assert [p["reason"] for p in pauses.active(a)] == ["desk moved"]
    pauses.check(a, "scans", gala)


def test_a_terminal_out_of_touch_too_long_is_an_alert_until_it_syncs(central: Central, terminals, clock, cli,  # noqa: ANN001
                                                                      demo_events) -> None:
    from boxoffice.services.alerts import check

    gala, _ = demo_events
    (a,) = terminals(1)
    clock.advance(minutes=20)
    (never,) = check(a)
    assert never["code"] == "sync_stale" and "never synced since enrolling for 20 min" in never["message"]
    sync(a)
    assert check(a) == []
    for _ in range(3):
        assert _sold(_sell(cli, a, gala))
    clock.advance(minutes=14)
    assert check(a) == [], "within the 15 minutes `sync status` also allows"
    clock.advance(minutes=2)
    (stale,) = check(a)
    assert stale["code"] == "sync_stale" and stale["severity"] == "minor" and stale["waiting"] >= 3
    assert "no good sync for 16 min" in stale["message"]
    shown = cli("alerts", db=a)
    assert "no good sync for 16 min" in shown.stdout
    sync(a)
    assert check(a) == []


def test_sync_watch_keeps_backups_on_a_second_disk(central: Central, make_terminal, tmp_path, cli) -> None:  # noqa: ANN001
    import json
    import os
    import signal
    import subprocess
    import sys
    import time

    from boxoffice.services.backup import verify_copy

    ctx = make_terminal(name="Watcher", fresh=True)
    enroll(ctx, central)
    usb = tmp_path / "usb"
    assert cli("sync", "--backup-to", usb, db=ctx).exit_code == 2, "a backup schedule needs --watch"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOXOFFICE_")}
    proc = subprocess.Popen([sys.executable, "-c", "from boxoffice.cli.main import run; run()", "--db",
                             str(ctx.config.db_path), "sync", "--watch", "--interval", "0.2", "--json",
                             "--backup-to", str(usb), "--backup-every", "0.001", "--keep", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    lines = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(lines) < 4:
        lines.append(json.loads(proc.stdout.readline()))
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "Traceback" not in err, err
    rounds = lines + [json.loads(x) for x in out.splitlines() if x.strip()]
    assert all(r["ok"] for r in rounds)
    files = [r["backup"]["file"] for r in rounds if "backup" in r]
    assert len(files) >= 4 and len(set(files)) == len(files), "a new copy each time one was due"
    kept = sorted(usb.glob("*.db"))
    # (the interrupt may land after a round's backup and before its line: that copy is kept, unlisted)
    assert len(kept) == 2 and [str(p) for p in kept] == sorted({*files, *map(str, kept)})[-2:], \
        "--keep 2: the two newest"
    assert all(verify_copy(p)["ok"] for p in kept)
