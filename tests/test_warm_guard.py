"""The warm process (`boxoffice warm start`) never gives a command more than a cold start would, never hangs the
launchers, and never runs a command twice: a launcher in the background, under no_new_privs, or facing a stopped
warm process runs cold.

Run as a user runs them, like tests/test_warm.py, whose fixtures these tests use.
"""

from __future__ import annotations

import array
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest
import test_warm
from test_warm import SCRIPT, _as_python_starts, _sold, _wait, run, status

from boxoffice.cli.warm import frames

env = test_warm.env  # the fixtures: a counter's shell, and a warm process started from it
warm = test_warm.warm


def _state(pid: int) -> str:
    """The process's state letter (T: stopped), or "" once it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0].decode()
    except (OSError, IndexError):
        return ""


def _stop_warm(env: dict[str, str], pid: int) -> None:
    run("warm", "stop", env=env)
    _wait(lambda: _state(pid) in ("", "Z"), "the warm process did not stop when asked")


def _event_list(env: dict[str, str]) -> list[bytes]:
    """A well-formed request to run `boxoffice event list`, as a launcher started with ``env`` sends it."""
    interpreter = SCRIPT.read_text(encoding="utf-8").splitlines()[0].removeprefix("#!").strip()
    return [b"run", os.fsencode(frames.package_dir()), os.fsencode(interpreter), b"/", b"22",
            *[b"utf-8", b"strict"] * 3, b"3", b"boxoffice", b"event", b"list",
            *(os.fsencode(f"{key}={value}") for key, value in _as_python_starts(env).items())]


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="setpriv (util-linux) is not installed")
def test_a_launcher_under_no_new_privs_runs_cold_even_beside_a_warm_process_under_it(env: dict[str, str]) -> None:
    """no_new_privs is what lets a process put itself under Landlock or a seccomp filter, which /proc does not show:
    the same no_new_privs on both sides says nothing about those, so such a launcher always runs cold."""
    started = subprocess.run(["setpriv", "--no-new-privs", str(SCRIPT), "warm", "start", "--json"], env=env,
                             capture_output=True, text=True, timeout=60, check=False)
    assert started.returncode == 0, started.stderr
    pid = json.loads(started.stdout)["pid"]
    try:
        done = subprocess.run(["setpriv", "--no-new-privs", str(SCRIPT), "whoami"], env=env, capture_output=True,
                               text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        assert (status(env)["served"], status(env)["cold"]) == (0, 1)
    finally:
        _stop_warm(env, pid)


def test_a_launcher_in_the_background_runs_cold_and_is_stopped_reading_the_terminal(
        warm: dict[str, str], demo_events: tuple[str, str]) -> None:
    """`boxoffice sell ... &` at the counter's shell: stopped when it asks its question, as any program is, instead
    of taking what the operator types for the shell."""
    sale = f"'{SCRIPT}' sell {demo_events[0]} -s stalls --seats B1 -t adult=1 --card 4242"
    shell = pexpect.spawn("bash", ["--norc", "--noprofile", "-c", f"set -m; {sale} & echo job:$!; sleep 120"],
                          env=warm, encoding="utf-8", timeout=30)
    shell.expect(r"job:(\d+)")
    launcher = int(shell.match.group(1))
    try:
        _wait(lambda: _state(launcher) == "T", "the sale in the background was not stopped by the terminal")
        assert _sold(warm) == 0
        assert status(warm)["served"] == 0
    finally:
        os.kill(launcher, signal.SIGKILL)
        shell.close(force=True)


def test_the_foreground_test_reads_the_terminals_foreground_group() -> None:
    """client.in_foreground, in a session on a pseudo-terminal: true for the group in its foreground, false for
    another group of the same session."""
    code = """if True:
        import os
        from boxoffice.cli.warm.client import in_foreground
        print("front", in_foreground(), flush=True)
        pid = os.fork()
        if pid == 0:
            os.setpgid(0, 0)
            print("back", in_foreground(), flush=True)
            os._exit(0)
        os.waitpid(pid, 0)
    """
    child = pexpect.spawn(sys.executable, ["-c", code], encoding="utf-8", timeout=60, cwd="/")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert (child.before or "").split() == ["front", "True", "back", "False"]


def test_a_stopped_warm_process_holds_up_no_launcher_and_runs_nothing_twice(warm: dict[str, str],
                                                                            demo_events: tuple[str, str]) -> None:
    warm_pid = status(warm)["pid"]
    os.kill(warm_pid, signal.SIGSTOP)  # kill -STOP, or Ctrl-Z where it was started in the foreground
    try:
        sale = run("sell", demo_events[1], "--section", "standing", "--type", "adult=1", "--card", "4242", env=warm)
    finally:
        os.kill(warm_pid, signal.SIGCONT)
    assert sale.returncode == 0 and "SOLD" in sale.stdout, sale.stderr  # cold, without waiting for it
    assert run("whoami", env=warm).returncode == 0
    assert status(warm)["served"] == 1  # the whoami; the sale's request, read once it went on, was not run
    assert _sold(warm) == 1


def test_a_launcher_that_does_not_take_its_command_never_has_it_run(warm: dict[str, str]) -> None:
    """The warm process runs a command only once its launcher has taken it: one that gave up (it waits two seconds
    for the answer) runs the command itself, so the warm process must not."""
    request = _event_list(warm)
    reader, writer = os.pipe()
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(30)
            sock.connect(status(warm)["socket"])
            frames.send_request(sock, request)
            lines, buffer = [], bytearray()
            while (line := frames.read_line(sock, buffer)) is not None:
                lines.append(line)
                if line == b"F":
                    frames.send_terminal(sock, [reader, writer, writer])  # and never answer P
        assert len(lines) == 2 and lines[1].startswith(b"P")
        os.close(writer)
        writer = -1
        assert os.read(reader, 65536) == b""  # the command wrote nothing: it never ran
        assert status(warm)["served"] == 0
    finally:
        os.close(reader)
        if writer >= 0:
            os.close(writer)


def test_a_warm_process_in_the_foreground_is_not_stopped_by_ctrl_z(env: dict[str, str]) -> None:
    """Started from a shell with job control (one that did not start it would not be stopped by the terminal)."""
    command = f"set -m; '{SCRIPT}' warm start --foreground; echo ended:$?"
    shell = pexpect.spawn("bash", ["--norc", "--noprofile", "-c", command], env=env, encoding="utf-8", timeout=30)
    try:
        shell.expect("Ctrl-C stops it")
        shell.sendcontrol("z")
        assert run("whoami", env=env).returncode == 0
        assert status(env)["served"] == 1  # it went on serving
        shell.sendintr()
        shell.expect("ended:0")
    finally:
        shell.close(force=True)


def test_a_command_run_warm_takes_the_launchers_temp_dir(tmp_path: Path) -> None:
    """The warm process's imports asked for the temp dir (and Python kept the answer); the command's process works
    it out again from the launcher's environment (child._become)."""
    code = f"""if True:
        import os, sys, tempfile
        from boxoffice.cli.warm import child
        tempfile.gettempdir()  # as the warm process's imports did
        env = [b"TMPDIR={tmp_path}", b"PATH=" + os.environb[b"PATH"]]
        child._become([b"run", b"", b"", b"/", b"22", *[b"utf-8", b"strict"] * 3, b"1", b"boxoffice", *env],
                      [0, 1, 2])
        print(tempfile.gettempdir())
    """
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False,
                          env={k: v for k, v in os.environ.items() if k != "TMPDIR"}, cwd="/")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(tmp_path)]


@pytest.mark.parametrize("sent", [[], [0, 1]], ids=["no terminal", "two streams"])
def test_a_request_whose_terminal_does_not_come_whole_runs_nothing(warm: dict[str, str], sent: list[int]) -> None:
    request = _event_list(warm)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(30)
        sock.connect(status(warm)["socket"])
        frames.send_request(sock, request)
        buffer = bytearray()
        assert frames.read_line(sock, buffer) == b"F"
        rights = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", sent).tobytes())] if sent else []
        sock.sendmsg([b"F"], rights)
        assert frames.read_line(sock, buffer) == b"C"  # run it cold: nothing forked
    assert status(warm)["served"] == 0
    assert run("whoami", env=warm).returncode == 0 and status(warm)["served"] == 1
