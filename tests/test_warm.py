"""The warm process (`boxoffice warm start`): the short commands start from it and behave as they do cold.

Everything runs as a user runs it: the installed `boxoffice` script in real processes, a real warm process in
the background, a real terminal database; a pseudo-terminal stands in for the counter's keyboard and screen.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pexpect
import pytest
from conftest import T0

from boxoffice.cli.warm import client, frames, place
from boxoffice.services.context import Ctx

SCRIPT = Path(sys.executable).parent / "boxoffice"


def run(*args: str, env: dict[str, str], cwd: Path | None = None, **more: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=60, check=False, cwd=cwd,
                          env={**env, **more})


def _wait(check: Callable[[], bool], what: str) -> None:
    for _ in range(300):
        if check():
            return
        time.sleep(0.05)
    pytest.fail(what)


def status(env: dict[str, str]) -> dict[str, Any]:
    done = run("warm", "status", "--json", env=env)
    return json.loads(done.stdout)


@pytest.fixture
def env(terminal: Ctx) -> dict[str, str]:
    """The environment of a counter's shell: its terminal database, the test clock's time (the login's)."""
    return {**os.environ, "BOXOFFICE_DB": str(terminal.config.db_path), "BOXOFFICE_NOW": T0.isoformat()}


@pytest.fixture
def warm(env: dict[str, str]) -> Iterator[dict[str, str]]:
    """A warm process started as a user starts it; stopped (and made sure of) after the test."""
    started = run("warm", "start", "--json", env=env)
    assert started.returncode == 0, started.stderr
    pid = json.loads(started.stdout)["pid"]
    yield env
    run("warm", "stop", env=env)
    for _ in range(200):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        os.kill(pid, 9)
        pytest.fail("the warm process did not stop when asked")


def test_a_sale_started_warm_is_the_sale_a_cold_start_makes(warm: dict[str, str], demo_events: tuple[str, str]
                                                            ) -> None:
    assert status(warm)["served"] == 0
    sale = ("sell", demo_events[1], "--section", "standing", "--type", "adult=2", "--card", "4242", "--json")
    hot = run(*sale, env=warm)
    assert hot.returncode == 0, hot.stderr
    assert status(warm)["served"] == 1  # it ran in the warm process
    cold = run(*sale, env=warm, BOXOFFICE_WARM="0")
    assert cold.returncode == 0, cold.stderr
    assert status(warm)["served"] == 1
    hot_sale, cold_sale = json.loads(hot.stdout), json.loads(cold.stdout)
    assert hot_sale.keys() == cold_sale.keys()
    assert (hot_sale["total"], len(hot_sale["tickets"])) == (cold_sale["total"], 2) == ("45.00", 2)
    assert hot_sale["order"] != cold_sale["order"]
    shown = run("order", "show", hot_sale["order"], "--json", env=warm, BOXOFFICE_WARM="0")
    assert shown.returncode == 0 and json.loads(shown.stdout)["code"] == hot_sale["order"]  # on disk, committed


def test_refusals_come_back_with_their_message_and_exit_status(warm: dict[str, str], demo_events: tuple[str, str]
                                                              ) -> None:
    for args, code in ((("pickup", "find", "ZZZZ-0000"), 3),
                       (("sell", demo_events[1], "--section", "standing", "--type", "nobody=2", "--card", "4242"), 2),
                       (("sell", demo_events[1], "--section", "standing", "--type", "adult=2", "--card",
                         "4242424242424242"), 2)):
        hot = run(*args, env=warm)
        cold = run(*args, env=warm, BOXOFFICE_WARM="0")
        assert (hot.returncode, hot.stdout, hot.stderr) == (cold.returncode, cold.stdout, cold.stderr)
        assert hot.returncode == code and hot.stderr.startswith("error:")
        assert "4242424242424242" not in hot.stderr
    assert status(warm)["served"] == 3


def test_help_and_usage_read_the_same_warm(warm: dict[str, str]) -> None:
    for args in (("sell", "--help"), ("pickup", "--help"), ("pickup", "find", "--help"), ("order", "show", "-h"),
                 ("ticket",), ("pickup", "nope"), ("sell",)):
        hot = run(*args, env=warm, COLUMNS="100")
        cold = run(*args, env=warm, COLUMNS="100", BOXOFFICE_WARM="0")
        assert (hot.returncode, hot.stdout, hot.stderr) == (cold.returncode, cold.stdout, cold.stderr), args
    assert status(warm)["served"] == 7


def test_the_launchers_directory_and_environment_are_the_commands(warm: dict[str, str], terminal: Ctx
                                                                       ) -> None:
    elsewhere = {k: v for k, v in warm.items() if k != "BOXOFFICE_DB"}
    here = terminal.config.db_path.parent
    found = run("--db", terminal.config.db_path.name, "event", "list", "--json", env=elsewhere, cwd=here)
    assert found.returncode == 0, found.stderr
    assert len(json.loads(found.stdout)) == 2  # the relative path was read in the launcher's directory
    missing = run("event", "list", "--json", env=elsewhere, BOXOFFICE_DB=str(here / "none" / "terminal.db"))
    assert missing.returncode == 3  # the launcher's environment, not the warm process's
    assert status(warm)["served"] == 2


def test_a_prompt_at_the_counters_terminal_and_ctrl_c(warm: dict[str, str], demo_events: tuple[str, str]) -> None:
    sale = ["sell", demo_events[0], "-s", "stalls", "--seats", "B1", "-t", "adult=1", "--card", "4242"]
    child = pexpect.spawn(str(SCRIPT), sale, env=warm, encoding="utf-8", timeout=30)
    child.expect("Does the customer accept these places")
    child.sendintr()  # Ctrl-C reaches the launcher only; it passes it on
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1 and "Aborted" in (child.before or "")
    child = pexpect.spawn(str(SCRIPT), sale, env=warm, encoding="utf-8", timeout=30)
    child.expect("Does the customer accept these places")
    child.sendline("y")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0 and "SOLD" in (child.before or "")
    assert "\x1b[" in (child.before or "")  # coloured: the command wrote to the counter's own terminal
    assert status(warm)["served"] == 2
    with sqlite3.connect(warm["BOXOFFICE_DB"]) as db:
        assert db.execute("SELECT count(*) FROM orders").fetchone() == (1,)  # the sale Ctrl-C stopped: not made


def test_another_language_runs_cold_and_in_that_language(warm: dict[str, str]) -> None:
    chinese = run("pickup", "find", "ZZZZ-0000", env=warm, BOXOFFICE_LANG="zh_CN")
    english = run("pickup", "find", "ZZZZ-0000", env=warm)
    assert chinese.returncode == english.returncode == 3
    assert chinese.stderr != english.stderr and any("\u4e00" <= c <= "\u9fff" for c in chinese.stderr)
    assert (status(warm)["served"], status(warm)["cold"]) == (1, 1)


@pytest.mark.parametrize("what", ["program", "library"])
def test_changed_code_or_an_upgraded_library_is_never_run_warm(warm: dict[str, str], what: str) -> None:
    import typer

    # A file of the program as an upgrade leaves it; the directory a library lives in, where pip adds or removes a
    # *.dist-info on an upgrade.
    changed = Path(frames.__file__) if what == "program" else Path(typer.__file__).parent.parent
    before = changed.stat()
    try:
        os.utime(changed, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))
        done = run("event", "list", "--json", env=warm)
        assert done.returncode == 0 and len(json.loads(done.stdout)) == 2  # run cold, as before
        _wait(lambda: run("warm", "status", env=warm).returncode == 3,
              f"the warm process kept running with its {what} changed on disk")
    finally:
        os.utime(changed, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_stop_and_every_command_runs_cold_again(warm: dict[str, str]) -> None:
    stopped = run("warm", "stop", "--json", env=warm)
    assert stopped.returncode == 0 and json.loads(stopped.stdout)["running"] is False
    assert not Path(frames.socket_path()).exists() or status(warm)["running"] is False
    gone = run("warm", "status", env=warm)
    assert gone.returncode == 3 and "no warm process" in gone.stderr
    assert run("event", "list", "--json", env=warm).returncode == 0
    again = run("warm", "stop", env=warm)
    assert again.returncode == 3


def test_hostile_requests_leave_it_serving(warm: dict[str, str]) -> None:
    path = status(warm)["socket"]
    attempts: list[Callable[[socket.socket], None]] = [
        lambda s: s.sendall(b"GET / HTTP/1.1\r\n\r\n"),
        lambda s: s.sendall(frames.MAGIC + b"ffffffff"),  # a payload of 4 GiB announced
        lambda s: s.sendall(frames.header(100) + b"run\0"),  # cut short
        lambda s: frames.send_request(s, [b"run", b"x"]),  # nonsense fields
        lambda s: frames.send_request(s, [b"run", *[b"1"] * 11, *[b"\xff"] * 3]),
    ]
    for attempt in attempts:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(10)
            sock.connect(path)
            attempt(sock)
            try:
                sock.shutdown(socket.SHUT_WR)
                answer = sock.recv(100)
            except ConnectionResetError:
                answer = b""  # it closed on what it had not read
            assert answer in (b"", b"C\n")  # closed, or "run it cold": never a command run
    assert status(warm)["served"] == 0
    assert run("event", "list", "--json", env=warm).returncode == 0
    assert status(warm)["served"] == 1


def _answer(path: str, fields: list[bytes], fds: list[int]) -> bytes:
    """The warm process's answers to a request, read to the end of the connection (a launcher stays to the end),
    with ``fds`` sent and the command taken when it asks, as a launcher does."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(30)
        sock.connect(path)
        frames.send_request(sock, fields)
        lines, buffer = [], bytearray()
        while (line := frames.read_line(sock, buffer)) is not None:
            lines.append(line)
            if line == b"F":
                frames.send_terminal(sock, fds)
            elif line.startswith(b"P"):
                sock.sendall(b"g")
        return b" ".join(lines)


def _as_python_starts(env: dict[str, str]) -> dict[str, str]:
    """The environment a launcher started with ``env`` holds (Python sets LC_CTYPE itself in a C locale)."""
    said = subprocess.run([sys.executable, "-c", "import json, os; print(json.dumps(dict(os.environ)))"], env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(said.stdout)


def test_a_request_the_command_could_not_take_is_refused_before_anything_runs(warm: dict[str, str]) -> None:
    path = status(warm)["socket"]
    interpreter = SCRIPT.read_text(encoding="utf-8").splitlines()[0].removeprefix("#!").strip()
    good = [b"run", os.fsencode(frames.package_dir()), os.fsencode(interpreter), b"/", b"22",
            *[b"utf-8", b"strict"] * 3, b"3", b"boxoffice", b"event", b"list",
            *(os.fsencode(f"{key}={value}") for key, value in _as_python_starts(warm).items())]
    reader, writer = os.pipe()
    try:
        for field, bad in ((4, b"zz"), (5, b"no-such-codec"), (8, b"no-such-handler"), (11, b"9"), (3, b"rel"),
                           (13, b"config"), (13, b"restore"), (13, b"--help")):  # only the short commands
            wrong = [*good[:field], bad, *good[field + 1:]]
            assert _answer(path, wrong, [reader, writer, writer]) == b"C"
        assert status(warm)["served"] == 0
        can, started, running, ended = _answer(path, good, [reader, writer, writer]).split()  # well formed
        assert started.startswith(b"P") and (can, running, ended) == (b"F", b"R", b"X0")
        assert b"Late Night Jazz" in os.read(reader, 65536)  # its output came down the descriptor passed
        assert status(warm)["served"] == 1
    finally:
        os.close(reader)
        os.close(writer)


def test_a_directory_others_can_enter_is_not_trusted(env: dict[str, str], tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    refused = run("warm", "start", env=env, BOXOFFICE_RUNTIME_DIR=str(shared))
    assert refused.returncode == 4 and "mode 700" in refused.stderr
    assert not list(shared.iterdir())
    assert frames.private_dir(str(shared)) is False
    shared.chmod(0o700)
    assert frames.private_dir(str(shared)) is True


def test_the_stamp_watches_where_each_library_lives_not_a_folder_above_it(monkeypatch: pytest.MonkeyPatch,
                                                                          tmp_path: Path) -> None:
    """`python -m` puts the working directory first on the path, and a parent of everything (here "/") may be on it
    too: folders that change all day. Each library is stamped by the closest place it came from."""
    import typer

    from boxoffice.cli.warm import checks

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", ["", str(tmp_path), "/", *sys.path])
    stamp = checks.code_stamp()
    libraries = os.path.join(str(Path(typer.__file__).parent.parent), "")
    assert libraries in stamp
    assert "/" not in stamp and os.path.join(str(tmp_path), "") not in stamp
    assert stamp[frames.__file__] == Path(frames.__file__).stat().st_mtime_ns  # the program's own files, each


def test_the_command_word_decides_what_goes_warm() -> None:
    assert client.command_of(["--db", "x.db", "sell", "gala"]) == "sell"
    assert client.command_of(["--config=a.toml", "pickup", "find", "X"]) == "pickup"
    assert client.command_of(["--help"]) is None
    assert client.command_of(["--db"]) is None
    assert "counter" not in client.WARM_COMMANDS and "scan" not in client.WARM_COMMANDS
    assert "sync" not in client.WARM_COMMANDS and "central" not in client.WARM_COMMANDS


def test_a_request_says_its_length_and_is_bounded() -> None:
    assert frames.parse_header(frames.header(12)) == 12
    with pytest.raises(ValueError):
        frames.parse_header(frames.header(frames.MAX_PAYLOAD + 1))
    with pytest.raises(ValueError):
        frames.parse_header(b"XXXX00000001")
    assert frames.unpack(frames.pack([b"run", b"", b"a=b"])) == [b"run", b"", b"a=b"]


def test_ping_of_nothing_is_none(tmp_path: Path) -> None:
    assert place.ping(str(tmp_path / "none.sock")) is None


def test_the_counter_keeps_a_warm_process_while_it_runs(env: dict[str, str]) -> None:
    desk = subprocess.Popen([str(SCRIPT), "counter", "--plain", "--warm"], env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait(lambda: run("warm", "status", env=env).returncode == 0, "no warm process while the counter runs")
        assert run("whoami", env=env).returncode == 0
        assert status(env)["served"] == 1
        _out, err = desk.communicate("q\n", timeout=60)
        assert desk.returncode == 0, err
    finally:
        if desk.poll() is None:
            desk.kill()
    _wait(lambda: run("warm", "status", env=env).returncode == 3, "the warm process the counter started outlived it")


def test_a_counter_leaves_a_warm_process_it_did_not_start(warm: dict[str, str]) -> None:
    done = subprocess.run([str(SCRIPT), "counter", "--plain", "--warm"], env=warm, input="q\n", text=True,
                          capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert status(warm)["running"] is True


def _children_of(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    if int(f.read().rsplit(b")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except OSError:
                continue
    return found


def _sold(env: dict[str, str]) -> int:
    with sqlite3.connect(env["BOXOFFICE_DB"]) as db:
        return db.execute("SELECT count(*) FROM orders").fetchone()[0]


def _at_the_prompt(env: dict[str, str], gala: str) -> pexpect.spawn:
    sale = ["sell", gala, "-s", "stalls", "--seats", "B1", "-t", "adult=1", "--card", "4242"]
    child = pexpect.spawn(str(SCRIPT), sale, env=env, encoding="utf-8", timeout=30)
    child.expect("Does the customer accept these places")
    return child


def test_a_slow_connection_holds_up_nobody(warm: dict[str, str]) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as slow:
        slow.connect(status(warm)["socket"])
        slow.sendall(frames.MAGIC[:2])  # and nothing more for now
        started = time.monotonic()
        done = run("whoami", env=warm)
        assert done.returncode == 0 and time.monotonic() - started < 30
        assert status(warm)["served"] == 1
        slow.sendall(b"W1")
        assert slow.recv(10) == b""  # given up on after its time, without an answer


def test_a_killed_launcher_takes_its_command_along(warm: dict[str, str], demo_events: tuple[str, str]) -> None:
    warm_pid = status(warm)["pid"]
    child = _at_the_prompt(warm, demo_events[0])
    assert len(_children_of(warm_pid)) == 1
    child.kill(9)
    _wait(lambda: not _children_of(warm_pid), "the command outlived its launcher")
    child.close(force=True)
    assert _sold(warm) == 0


def test_a_command_ended_by_a_signal_ends_its_launcher_by_it(warm: dict[str, str], demo_events: tuple[str, str]
                                                             ) -> None:
    child = _at_the_prompt(warm, demo_events[0])
    child.kill(15)  # to the launcher, passed on; the command dies of it
    child.expect(pexpect.EOF)
    child.close()
    assert child.signalstatus == 15 and child.exitstatus is None
    assert _sold(warm) == 0


def test_a_stopped_warm_process_finishing_never_takes_a_new_ones_place(warm: dict[str, str],
                                                                       demo_events: tuple[str, str]) -> None:
    first = status(warm)["pid"]
    child = _at_the_prompt(warm, demo_events[0])
    assert run("warm", "stop", env=warm).returncode == 0
    again = run("warm", "start", "--json", env=warm)  # while the first one still finishes that sale
    assert again.returncode == 0, again.stderr
    second = json.loads(again.stdout)["pid"]
    assert second != first
    child.sendline("y")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0 and _sold(warm) == 1
    _wait(lambda: not os.path.exists(f"/proc/{first}"), "the first warm process did not end")
    assert status(warm)["pid"] == second  # its socket is still there, and answers
    assert run("whoami", env=warm).returncode == 0 and status(warm)["served"] == 1


def test_a_launcher_gone_before_its_command_started_never_runs_it(warm: dict[str, str],
                                                                  demo_events: tuple[str, str]) -> None:
    warm_pid = status(warm)["pid"]
    os.kill(warm_pid, 19)  # SIGSTOP: it reads nothing for now
    try:
        sale = [str(SCRIPT), "sell", demo_events[1], "--section", "standing", "--type", "adult=1", "--card", "4242"]
        launcher = subprocess.Popen(sale, env=warm, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(1)
        launcher.send_signal(2)  # Ctrl-C while it waits
        assert launcher.wait(timeout=30) == -2  # ended by it, as a cold start would be
    finally:
        os.kill(warm_pid, 18)  # SIGCONT
    launcher.communicate(timeout=30)
    assert status(warm)["served"] == 0
    assert _sold(warm) == 0


def test_a_launcher_confined_otherwise_runs_cold(warm: dict[str, str]) -> None:
    done = subprocess.run(["nice", "-n", "5", str(SCRIPT), "whoami"], env=warm, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert (status(warm)["served"], status(warm)["cold"]) == (0, 1)


def test_start_keeps_nothing_of_its_callers_open(env: dict[str, str]) -> None:
    done = subprocess.run(["bash", "-c", f"'{SCRIPT}' warm start 7>&1 | cat"], env=env, capture_output=True,
                          text=True, timeout=60, check=False)  # cat ends once every writer of its pipe is gone
    try:
        assert done.returncode == 0 and "running" in done.stdout
    finally:
        run("warm", "stop", env=env)
