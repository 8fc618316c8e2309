"""`boxoffice warm ...`: start, stop and look at the warm process the short counter commands start from."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import typer

from boxoffice.cli.app import sub_app
from boxoffice.cli.common import JSON_HELP, echo, emit_json, secho
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _

warm_app = sub_app(N_("Keep the program loaded so that `sell`, `pickup` and the other short commands start at "
                      "once."))


@warm_app.command("start")
def warm_start(foreground: bool = typer.Option(False, "--foreground",
                                               help=_("Stay in the foreground (for a service manager); Ctrl-C "
                                                      "stops it.")),
               json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Start the warm process for this user and this install of the program, and return (it keeps running).

    From then on `boxoffice sell`, `pickup`, `order`, `event`, `refund`, `exchange`, `ticket`, `print`,
    `alerts` and `whoami` start from it: the same command with the same result, without loading the program
    each time. Each command still runs in a process of its own, with its terminal, environment and working
    directory. The warm process holds no database, key or customer data. Anything it cannot take (another
    language, another install, an upgrade of the program: then it stops) runs as before, and so does every
    command when it is not running. Set BOXOFFICE_WARM=0 to never use it.

    Example: boxoffice warm start
    """
    from boxoffice.cli.warm import frames, place

    if not hasattr(os, "pidfd_open") or not hasattr(os, "fork"):
        raise BoxOfficeError("conflict", _("the warm process needs Linux; every command runs cold here"))
    path = frames.socket_path()
    answer = place.ping(path)
    if answer is not None:
        _report(path, answer, json_out, _("The warm process is running already (pid {pid})."))
        return
    if foreground:
        _serve_here(path, json_out)
        return
    started = _detach(path)
    answer = place.ping(path)
    if started is not None or answer is None:
        raise BoxOfficeError("conflict", _("the warm process did not start: {reason}").format(
            reason=started or _("it did not answer")))
    _report(path, answer, json_out, _("The warm process is running (pid {pid}); the short commands start from it."))


def _serve_here(path: str, json_out: bool) -> None:
    from boxoffice.cli.warm import place, zygote

    def ready() -> None:
        if json_out:
            emit_json({"running": True, "pid": os.getpid(), "socket": path}, indent=None)  # one line: ready
        else:
            secho(_("The warm process is running (pid {pid}); Ctrl-C stops it.").format(pid=os.getpid()),
                  fg="green")
        sys.stdout.flush()

    try:
        zygote.serve(path, ready=ready)
    except place.WarmError as exc:
        raise BoxOfficeError("conflict", str(exc)) from None


def _detach(path: str) -> str | None:
    """Start the warm process in the background, detached from this terminal: None once it listens, else why
    not (its own one-line error)."""
    from boxoffice.cli.warm import place, zygote

    reader, writer = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the first child: a session of its own, then the warm process in a child of that
        os.close(reader)
        os.setsid()
        if os.fork() != 0:
            os._exit(0)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.close(null)
        # Nothing else the shell or the caller left open (a pipe someone waits to see closed) stays open.
        os.closerange(3, writer)
        os.closerange(writer + 1, 65536)
        os.chdir("/")
        try:
            zygote.serve(path, ready=lambda: (os.write(writer, b"\n"), os.close(writer)))
        except place.WarmError as exc:
            os.write(writer, str(exc).encode("utf-8", "replace")[:400])
        finally:
            os._exit(0)
    os.close(writer)
    os.waitpid(pid, 0)
    said = b""
    while chunk := os.read(reader, 512):
        said += chunk
    os.close(reader)
    if said == b"\n":
        return None
    return said.decode("utf-8", "replace") or _("it ended before it was ready")


@contextmanager
def kept_warm(enabled: bool) -> Iterator[None]:
    """While the body runs (the counter): a warm process, started here unless one runs already, and then stopped
    here after it. One that cannot start is said on stderr and the counter opens all the same."""
    if not enabled:
        yield
        return
    from boxoffice.cli.warm import frames, place

    path = frames.socket_path()
    started = False
    if not hasattr(os, "pidfd_open"):
        echo(_("warning: the warm process needs Linux; every command runs cold here"), err=True)
    elif place.ping(path) is None:
        why = _detach(path)
        if why is None:
            started = True
        else:
            echo(_("warning: the warm process did not start: {reason}").format(reason=why), err=True)
    try:
        yield
    finally:
        if started:
            place.ping(path, op=b"stop")


@warm_app.command("stop")
def warm_stop(json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Stop the warm process: commands running in it finish first; new ones start cold at once.

    Example: boxoffice warm stop
    """
    from boxoffice.cli.warm import frames, place

    path = frames.socket_path()
    answer = place.ping(path, op=b"stop")
    if answer is None:
        raise BoxOfficeError("not_found", _("no warm process is running"))
    for _attempt in range(100):  # it removes its socket as it stops listening
        if not os.path.exists(path):
            break
        time.sleep(0.02)
    if json_out:
        emit_json({"running": False, "pid": int(answer.split()[0])})
    else:
        echo(_("The warm process (pid {pid}) is stopping; commands start cold now.").format(pid=answer.split()[0]))


@warm_app.command("status")
def warm_status(json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Say whether the warm process is running, since when and how many commands it ran. Exit status 3 when it
    is not running.

    Example: boxoffice warm status --json
    """
    from boxoffice.cli.warm import frames, place

    path = frames.socket_path()
    answer = place.ping(path)
    if answer is None:
        if json_out:
            emit_json({"running": False, "socket": path})
            raise typer.Exit(3)
        raise BoxOfficeError("not_found", _("no warm process is running (start it with `boxoffice warm start`)"))
    _report(path, answer, json_out, _("The warm process is running (pid {pid}) since {since}: {served} commands "
                                      "run warm, {cold} sent back to run cold."))


def _report(path: str, answer: str, json_out: bool, text: str) -> None:
    pid, started, served, cold = (int(part) for part in (answer.split() + ["0", "0", "0"])[:4])
    since = time.strftime("%H:%M:%S", time.localtime(started))
    if json_out:
        emit_json({"running": True, "pid": pid, "socket": path, "since": started, "served": served, "cold": cold})
    else:
        echo(text.format(pid=pid, since=since, served=served, cold=cold))
