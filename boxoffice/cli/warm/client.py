"""The `boxoffice` command's entry point: run the command in the warm process when one is running, else here.

A cold start imports Typer, the command and its libraries before the command does anything: most of a
`boxoffice sell`. When `boxoffice warm start` is running, this launcher hands the command to it instead (the
arguments, the environment, the working directory, the umask and the terminal itself: the standard streams are
passed as file descriptors), waits for its exit status and exits with it. The command runs in a fresh process
forked from the warm one, so it behaves as it would cold: its own database connection, configuration, login,
prompts and output. Ctrl-C and other signals sent to the launcher are passed on to it.

Only the short commands of the counter go warm (:data:`WARM_COMMANDS`); the full-screen counter, the door's
scanning loop, sync and the central service always run here. Whenever the warm process is not running, is not
this copy of the program, or cannot take the command, the command runs cold as before: nothing is lost by a warm
process gone away. ``BOXOFFICE_WARM=0`` never uses it.

This module imports nothing but the interpreter's own C modules until it falls back (frames.py says why).
"""

from __future__ import annotations

import _signal
import _socket
import os
import sys

from boxoffice.cli.warm import frames

# Commands that are short, read the terminal's database and end: the ones worth a warm start.
WARM_COMMANDS = frozenset({"sell", "pickup", "order", "event", "refund", "exchange", "whoami", "ticket", "print",
                           "alerts"})
_ROOT_VALUE_OPTIONS = frozenset({"--db", "--config"})
_FORWARDED = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2")


def command_of(args: list[str]) -> str | None:
    """The command word of ``boxoffice ARGS``, after the root options; None when there is none."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in _ROOT_VALUE_OPTIONS:
            skip = True
        elif arg.startswith("-"):
            if arg.split("=", 1)[0] not in _ROOT_VALUE_OPTIONS:
                return None  # --help, --version, a mistyped option: cold, where the answer is made
        else:
            return arg
    return None


def _umask() -> int:
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def _request(args: list[str]) -> list[bytes]:
    streams = (sys.stdin, sys.stdout, sys.stderr)
    fields = [b"run", os.fsencode(frames.package_dir()), os.fsencode(sys.executable), os.fsencode(os.getcwd()),
              b"%o" % _umask()]
    for stream in streams:
        fields += [(getattr(stream, "encoding", None) or "utf-8").encode(),
                   (getattr(stream, "errors", None) or "strict").encode()]
    fields.append(b"%d" % (len(args) + 1))
    fields += [os.fsencode(sys.argv[0]), *(os.fsencode(arg) for arg in args)]
    fields += [key + b"=" + value for key, value in os.environb.items()]
    return fields


def try_warm(args: list[str]) -> int | None:
    """The exit status of the command run by the warm process, or None when it is to run here (cold)."""
    if os.environ.get(frames.ENV_OFF) == "0" or command_of(args) not in WARM_COMMANDS:
        return None
    path = frames.socket_path()
    if not frames.private_dir(os.path.dirname(path)):
        return None
    try:
        for fd in (0, 1, 2):
            os.fstat(fd)  # a closed standard stream: cold, where Python deals with it as always
        fields = _request(args)
    except (OSError, ValueError):
        return None
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        try:
            sock.connect(path)
            frames.send_request(sock, fields, [0, 1, 2])
            buffer = bytearray()
            line = frames.read_line(sock, buffer)
        except OSError:
            return None
        if line is None or not line.startswith(b"P"):
            return None  # "C": the warm process could not take it; nothing has run
        _forward_signals(int(line[1:]))
        try:
            line = frames.read_line(sock, buffer)
        except OSError:
            line = None
        if line is None or not line.startswith(b"X"):
            from boxoffice.i18n import _

            said = _("error: the warm process stopped before the command ended; check what it did (`boxoffice order "
                     "show`, `boxoffice print jobs`) before running it again")
            os.write(2, (said + "\n").encode("utf-8", "replace"))
            return 1
        return int(line[1:])
    finally:
        sock.close()


def _forward_signals(pid: int) -> None:
    """Signals sent to this launcher (Ctrl-C at the terminal reaches only it) go on to the command's process."""

    def forward(signum: int, _frame: object) -> None:
        try:  # noqa: SIM105
            os.kill(pid, signum)
        except OSError:
            pass  # it has just ended (no contextlib here: the launcher imports as little as it can)

    for name in _FORWARDED:
        _signal.signal(getattr(_signal, name), forward)


def run() -> None:
    """Console-script entry point: warm when it can be, else the program as always (cli/main.run)."""
    status = try_warm(sys.argv[1:])
    if status is None:
        from boxoffice.cli.main import run as run_cold

        run_cold()
        return
    sys.stdout.flush()
    os._exit(status)  # nothing of the program is loaded here: no exit handler of ours to run
