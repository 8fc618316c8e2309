"""What the `boxoffice` launcher and the warm process say to each other over their Unix socket.

Imported by the launcher before anything else of the program, so it imports only C modules of the interpreter:
``_socket`` rather than ``socket``, whose enum classes cost more than the rest of the launcher (about 12 ms).

A request is ``MAGIC``, the length of the payload (8 hexadecimal digits), then the payload. The payload is
NUL-separated (no argument, path or environment entry can hold a NUL): the operation, the launcher's package
directory and interpreter, its working directory, umask, the encodings of its standard streams, the argument count,
the arguments, then the environment's ``NAME=value`` entries. The answers are lines: ``F`` the command can be taken
(the launcher then sends the byte ``F`` with its standard input, output and error as SCM_RIGHTS: only to a warm
process that answers, so a stopped one never holds a launcher's output open), ``P<pid>`` it is ready in that process
(the launcher sends the byte ``g`` to take it), ``R`` it runs, ``X<status>`` it ended with that exit status,
``S<signal>`` it was ended by that signal, ``C`` run it cold (the warm process cannot take it), ``K<text>`` the
answer to ``ping`` or ``stop``.
"""

from __future__ import annotations

import _socket
import os
import sys

MAGIC = b"BXW1"
HEADER = len(MAGIC) + 8
MAX_PAYLOAD = 1 << 20  # arguments and environment: far more than any shell passes, so a bound on the warm side
ENV_OFF = "BOXOFFICE_WARM"  # "0": never use the warm process
DIR_ENV = "BOXOFFICE_RUNTIME_DIR"


def package_dir() -> str:
    """The directory of the installed program: the warm process and its launcher must be the same copy."""
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def runtime_dir() -> str:
    """Where the warm process's socket lives: BOXOFFICE_RUNTIME_DIR, the session's XDG_RUNTIME_DIR, or a
    directory of this user's own under /tmp."""
    named = os.environ.get(DIR_ENV)
    if named:
        return named
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg:
        return os.path.join(xdg, "boxoffice")
    return os.path.join("/tmp", f"boxoffice-{os.getuid()}")


def socket_path() -> str:
    """The socket of the warm process for this copy of the program run by this interpreter.

    Named after both, so two installs (or two virtual environments) never answer for each other; the request
    says both again and the warm process compares them."""
    import binascii

    key = f"{sys.executable}\0{package_dir()}".encode("utf-8", "surrogateescape")
    return os.path.join(runtime_dir(), f"warm-{binascii.crc32(key):08x}.sock")


def private_dir(path: str) -> bool:
    """True when ``path`` is a directory of this user's that nobody else can enter or write: only then is a
    socket in it trusted to be the warm process (anyone could make /tmp/boxoffice-UID first)."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    return st.st_uid == os.getuid() and (st.st_mode & 0o077) == 0 and (st.st_mode & 0o170000) == 0o040000


def pack(fields: list[bytes]) -> bytes:
    """The payload of a request."""
    return b"\0".join(fields)


def unpack(payload: bytes) -> list[bytes]:
    return payload.split(b"\0")


def header(length: int) -> bytes:
    return MAGIC + b"%08x" % length


def parse_header(data: bytes) -> int:
    """The payload's length from a request's header; ValueError for anything else."""
    if len(data) != HEADER or data[: len(MAGIC)] != MAGIC:
        raise ValueError("not a warm request")
    length = int(data[len(MAGIC):], 16)
    if length > MAX_PAYLOAD:
        raise ValueError("request too large")
    return length


def send_request(sock: _socket.socket, fields: list[bytes]) -> None:
    """Send one request: the header, then the payload."""
    payload = pack(fields)
    sock.sendall(header(len(payload)) + payload)


def send_terminal(sock: _socket.socket, fds: list[int]) -> None:
    """Send the launcher's standard streams, once the warm process has said ``F``."""
    rights = b"".join(fd.to_bytes(4, sys.byteorder, signed=True) for fd in fds)
    sock.sendmsg([b"F"], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, rights)])


def read_line(sock: _socket.socket, buffer: bytearray) -> bytes | None:
    """The next answer line (without its newline), or None at the end of the connection."""
    while True:
        end = buffer.find(b"\n")
        if end >= 0:
            line = bytes(buffer[:end])
            del buffer[: end + 1]
            return line
        chunk = sock.recv(4096)
        if not chunk:
            return None
        buffer += chunk
