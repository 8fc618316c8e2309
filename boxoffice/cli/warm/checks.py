"""Whether the warm process may run a request, or the launcher is to run it cold (zygote._fork asks).

A command started warm must get what a cold start would give it. So a request runs cold when it comes from
another copy of the program, names a command that is not one of the short ones, has an environment that would
have changed what the imports did, comes after the program's code changed on disk, or comes from a process
confined otherwise than the warm process (groups, limits, capabilities, namespaces, nice, LSM label): a child
forked here has the warm process's confinement, not the launcher's. (Not the cgroup: a desktop puts each terminal
window in one of its own, and its limits are the user's to set.)

/proc shows neither a process's seccomp filters nor the Landlock domain it put itself under, so those cannot be
compared: a launcher with no_new_privs set or in a seccomp mode always runs cold, whatever the warm process's own,
because an unprivileged process can take on a filter or a Landlock domain only once no_new_privs is set. A process
with CAP_SYS_ADMIN needs no no_new_privs for Landlock: one that has the capability, as the warm process then has
too, can go warm under a Landlock domain unseen.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import sys

from boxoffice.cli.warm import frames
from boxoffice.cli.warm.client import WARM_COMMANDS, command_of

# Read while the program is imported (language, Typer's and Python's settings): a request whose values differ
# would not get what a cold start would, so it runs cold. Every PYTHON* and LC_* variable counts too. Not LANGUAGE:
# the program sets it to the language in force as it starts (i18n._apply), and the child does the same.
IMPORT_ENV = ("LANG", "BOXOFFICE_LANG", "BOXOFFICE_I18N_MISSING", "TYPER_USE_RICH", "TYPER_STANDARD_TRACEBACK",
              "_TYPER_STANDARD_TRACEBACK", "_TYPER_FORCE_DISABLE_TERMINAL", "TERMINAL_WIDTH", "GITHUB_ACTIONS",
              "FORCE_COLOR", "PY_COLORS", "ESCPOS_CAPABILITIES_PICKLE_DIR")
_STATUS_FIELDS = (b"Gid:", b"Groups:", b"NoNewPrivs:", b"Seccomp:", b"CapInh:", b"CapPrm:", b"CapEff:", b"CapBnd:",
                  b"CapAmb:")
_NAMESPACES = ("mnt", "pid", "net", "ipc", "uts", "user", "cgroup")


def import_environment(env: dict[bytes, bytes] | os._Environ[bytes]) -> dict[bytes, bytes | None]:
    """The part of an environment that the imports read."""
    names = {name.encode() for name in IMPORT_ENV}
    names.update(key for key in env if key.startswith((b"PYTHON", b"LC_")))
    return {name: env.get(name) for name in sorted(names)}


def confinement(pid: int | str) -> tuple[bytes, ...] | None:
    """What confines process ``pid`` beyond its user (None when /proc cannot say)."""
    base = f"/proc/{pid}"
    try:
        with open(f"{base}/status", "rb") as f:
            status = [line for line in f.read().splitlines() if line.startswith(_STATUS_FIELDS)]
        with open(f"{base}/limits", "rb") as f:
            limits = f.read()
        with open(f"{base}/stat", "rb") as f:
            nice = f.read().rsplit(b")", 1)[1].split()[16]  # the fields after the command's name: nice is the 19th
        spaces = []
        for name in _NAMESPACES:
            with contextlib.suppress(FileNotFoundError):
                spaces.append(b"%d" % os.stat(f"{base}/ns/{name}").st_ino)
    except (OSError, IndexError):
        return None
    label = b"-"  # no LSM that gives labels (EINVAL), or none the user may read
    with contextlib.suppress(OSError), open(f"{base}/attr/current", "rb") as f:
        label = b"label:" + f.read()
    return (*status, limits, nice, *spaces, label)


def unseen_confinement(confined: tuple[bytes, ...]) -> bool:
    """Whether a process (its :func:`confinement`) may be confined in ways /proc does not show: it has no_new_privs
    set or is in a seccomp mode (the module's docstring says why that is the sign)."""
    fields = dict(line.split(b":", 1) for line in confined if line.startswith((b"NoNewPrivs:", b"Seccomp:")))
    return any(value.strip() != b"0" for value in fields.values())


def code_stamp() -> dict[str, int]:
    """The modification time of every file of the program loaded now, and of every directory on the path the
    libraries it loaded came from: a change means an upgrade. Installing, upgrading or removing a library adds or
    removes its ``*.dist-info`` directory beside it, which changes that directory; one look at each catches it
    without a look at each of the libraries' thousands of files on every request."""
    stamp = {}
    here = os.path.join(os.getcwd(), "")  # `python -m` puts the working directory first: a folder that changes all day
    places = sorted({os.path.join(entry, "") for entry in sys.path if entry and os.path.isdir(entry)} - {here},
                    key=len, reverse=True)  # the closest place a module came from first: site-packages, not a parent
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if not path:
            continue
        if getattr(module, "__name__", "").startswith("boxoffice"):
            with contextlib.suppress(OSError):
                stamp[path] = os.stat(path).st_mtime_ns
            continue
        for place in places:
            if path.startswith(place):
                if place not in stamp:
                    with contextlib.suppress(OSError):
                        stamp[place] = os.stat(place).st_mtime_ns
                break
    return stamp


def changed(stamp: dict[str, int]) -> bool:
    for path, mtime in stamp.items():
        try:
            if os.stat(path).st_mtime_ns != mtime:
                return True
        except OSError:
            return True
    return False


def well_formed(fields: list[bytes]) -> bool:
    """Whether the child can take the request as it is (checked before the fork: a child never fails on it)."""
    try:
        int(fields[4], 8)
        argc = int(fields[11])
        for name in fields[5:11:2]:
            codecs.lookup(name.decode("ascii"))
        for name in fields[6:11:2]:
            codecs.lookup_error(name.decode("ascii"))
    except (ValueError, LookupError, UnicodeDecodeError):
        return False
    return 1 <= argc <= len(fields) - 12 and fields[3].startswith(b"/")


def refusal(fields: list[bytes], peer: int, *, env: dict[bytes, bytes | None], stamp: dict[str, int],
            confined: tuple[bytes, ...] | None) -> str | None:
    """Why a ``run`` request from process ``peer`` is to run cold, or None. ``env``, ``stamp`` and ``confined``:
    the warm process's own, taken as it started."""
    if len(fields) < 12 or not well_formed(fields):
        return "malformed"
    if fields[1] != os.fsencode(frames.package_dir()) or fields[2] != os.fsencode(sys.executable):
        return "another copy"
    argc = int(fields[11])
    if command_of([os.fsdecode(arg) for arg in fields[13:12 + argc]]) not in WARM_COMMANDS:
        return "not a short command"
    theirs = dict(entry.split(b"=", 1) for entry in fields[12 + argc:] if b"=" in entry)
    names = set(env) | {key for key in theirs if key.startswith((b"PYTHON", b"LC_"))}
    if any(theirs.get(name) != env.get(name) for name in names):
        return "environment"
    peers = confinement(peer)
    if confined is None or peers is None or unseen_confinement(peers) or peers != confined:
        return "confinement"
    if changed(stamp):
        return "changed"
    return None
