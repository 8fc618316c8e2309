"""The process forked from the warm one for one command: it becomes the launcher's process and runs `boxoffice`.

Everything a cold start would take from its launcher is taken here: the terminal (standard streams, passed as
descriptors), the working directory, the umask, the environment, the arguments, the standard streams' encodings.
It leaves the warm process's session, so that it has no controlling terminal of its own: a PIN prompt then reads
from the launcher's terminal (getpass falls back to standard input, with echo still off), never from the one the
warm process was started in. Having no controlling terminal, it is never stopped for reading the terminal from the
background (SIGTTIN): so only a launcher in its terminal's foreground goes warm (client.in_foreground). Its exit
status goes back through the warm process (zygote._reap).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys
from typing import Any, NoReturn

BUILT: list[Any] = []  # the root command, built by the warm process before the first fork (zygote.warm_up)


def run_child(fields: list[bytes], fds: list[int], go: int) -> NoReturn:
    """Wait to be released (``go``: the warm process writes to it once the launcher knows this process), then
    become the command's process and run it; never returns."""
    code = 1
    try:
        if os.read(go, 1) != b"g":  # not released: the launcher was not told, and runs the command itself
            os._exit(0)
        try:
            _become(fields, fds)
        except OSError as exc:  # the launcher's working directory went away meanwhile, say
            os.write(2, f"boxoffice: cannot start the command: {exc.strerror}\n".encode())
            raise SystemExit(1) from None
        code = _run()
    except SystemExit:
        pass
    except BaseException:  # noqa: BLE001 - whatever happens, this process must not go back into the warm loop
        with contextlib.suppress(BaseException):
            sys.excepthook(*sys.exc_info())
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(BaseException):  # a closed pipe: nothing more to say
                stream.flush()
        os._exit(code)


def _become(fields: list[bytes], fds: list[int]) -> None:
    os.setsid()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for name in ("SIGTERM", "SIGHUP", "SIGTSTP"):  # SIGTSTP: ignored by a warm process in the foreground
        signal.signal(getattr(signal, name), signal.SIG_DFL)
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
    # Nothing of the warm process stays open: its socket and lock, the other commands' connections, its selector.
    os.closerange(3, _max_fd())
    os.chdir(fields[3])
    os.umask(int(fields[4], 8))
    argc = int(fields[11])
    argv = [os.fsdecode(arg) for arg in fields[12:12 + argc]]
    os.environ.clear()
    for entry in fields[12 + argc:]:
        key, sep, value = entry.partition(b"=")
        if sep and key:
            os.environb[key] = value
    import tempfile

    from boxoffice.i18n import refresh_environment

    refresh_environment()
    tempfile.tempdir = None  # worked out again from the launcher's TMPDIR, not kept from the warm process's imports
    names = ("stdin", "stdout", "stderr")
    for number, name in enumerate(names):
        encoding = fields[5 + 2 * number].decode("ascii", "replace")
        errors = fields[6 + 2 * number].decode("ascii", "replace")
        line = number == 2 or (number == 1 and os.isatty(1))  # as Python sets its own streams up
        stream = open(number, "r" if number == 0 else "w", buffering=1 if line else -1,  # noqa: SIM115
                      encoding=encoding, errors=errors, closefd=False, newline="\n")
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)
    sys.argv = argv


def _max_fd() -> int:
    try:
        return min(os.sysconf("SC_OPEN_MAX"), 1 << 20)
    except (OSError, ValueError):
        return 4096


def _run() -> int:
    """Run `boxoffice` with sys.argv as cli/main.run does (Typer's app() builds the root command and calls it: here
    it is built already), then the exit handlers the command registered."""
    from boxoffice.cli.main import app

    try:
        if BUILT:
            BUILT[0].main()
        else:
            app()
        code: int = 0
    except SystemExit as exc:
        code = _exit_code(exc.code)
    except KeyboardInterrupt:
        code = 130
    finally:
        atexit._run_exitfuncs()
    return code


def _exit_code(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value & 0xFF
    from boxoffice.cli.common import echo

    echo(str(value), err=True)  # as Python says a SystemExit's text, through the helper every line goes through
    return 1
