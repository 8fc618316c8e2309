"""Ed25519 signing keys: make them, keep the private half safe on disk, and name the public half.

Each terminal (and the central service) signs tickets with its own key. Only the public key travels (by
sync), so any terminal can verify any ticket offline. A ticket token carries a 4-byte key id instead of the
32-byte key to keep the QR code small; the id is the first 4 bytes of SHA-256 of the raw public key.

The cryptography library is imported inside the functions so importing this module stays cheap.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

PUBLIC_KEY_LEN = 32
KEY_ID_LEN = 4
PRIVATE_KEY_MODE = 0o600


def generate_keypair() -> tuple[Ed25519PrivateKey, bytes]:
    """Make a fresh key pair; return the private key object and the raw 32-byte public key."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private_key = Ed25519PrivateKey.generate()
    return private_key, public_raw(private_key)


def public_raw(private_key: Ed25519PrivateKey) -> bytes:
    """The raw 32-byte public key: the form that syncs, that key ids hash and that verification needs."""
    # public_bytes_raw() needs no import of cryptography's serialization package (~12 ms on every command).
    return private_key.public_key().public_bytes_raw()


def key_id(public_raw: bytes) -> bytes:
    """The 4-byte id a token carries for its signing key: the first 4 bytes of SHA-256 of the raw public key.

    Four bytes are plenty to tell a venue's few dozen keys apart and cost little QR space; a clash would only
    make one key's tickets fail to verify against the other key, never verify falsely.
    """
    _check_public_raw(public_raw)
    return hashlib.sha256(public_raw).digest()[:KEY_ID_LEN]


# The last private key object that signed here, with its key id: a terminal signs with one key at a time, and a
# one-entry cache keeps no key it stopped using (a rotated key is not held in memory for longer than that).
_LAST_PRIVATE: tuple[Ed25519PrivateKey, bytes] | None = None


def private_key_id(private_key: Ed25519PrivateKey) -> bytes:
    """``key_id(public_raw(private_key))``, worked out once per key object: every ticket signed checks its key id
    against its key, and deriving and hashing the public half each time cost a tenth of signing. A key object's
    public half never changes; a new key (a rotation, a key file loaded again) is a new object and gets its own."""
    global _LAST_PRIVATE
    last = _LAST_PRIVATE  # one read: another thread may replace it meanwhile, and a tuple is swapped whole
    if last is not None and last[0] is private_key:
        return last[1]
    kid = key_id(public_raw(private_key))
    _LAST_PRIVATE = (private_key, kid)
    return kid


def key_id_hex(public_raw: bytes) -> str:
    """The key id as 8 lower-case hex digits, as people and JSON documents see it."""
    return key_id(public_raw).hex()


def public_b64(public_raw: bytes) -> str:
    """The raw public key as standard padded base64 text (44 characters), the form used in sync documents."""
    _check_public_raw(public_raw)
    return base64.b64encode(public_raw).decode("ascii")


def public_from_b64(text: str) -> bytes:
    """Parse base64 public-key text back to the raw 32 bytes, refusing anything else with ``bad_input``.

    Strict decoding (no ignored characters) so two different texts never name the same key.
    """
    if not isinstance(text, str):
        raise BoxOfficeError("bad_input", _("a public key must be base64 text"))
    try:
        raw = base64.b64decode(text.strip().encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        raise BoxOfficeError(
            "bad_input", _("the public key is not valid base64: copy the whole 44-character key")
        ) from None
    if len(raw) != PUBLIC_KEY_LEN:
        raise BoxOfficeError(
            "bad_input",
            _("the public key is {size} bytes, not {length}: it is not an Ed25519 public key").format(
                size=len(raw), length=PUBLIC_KEY_LEN),
        )
    return raw


def save_private_key(path: str | os.PathLike[str], private_key: Ed25519PrivateKey) -> None:
    """Write the private key as unencrypted PKCS#8 PEM, readable by its owner only (mode 0600).

    The file is created with mode 0600 from the first moment (never chmod-ed after the fact), written to a
    temporary name, flushed to disk and then linked into place, so a crash leaves either no key file or a
    whole one. An existing key file is never overwritten: losing a key whose public half has not synced yet
    would make every ticket it signed unverifiable, so replacing a key must be a deliberate act (delete the
    file first).
    """
    from cryptography.hazmat.primitives import serialization

    target = Path(path)
    pem = private_key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )
    if target.exists():
        raise BoxOfficeError(
            "already_exists",
            _("a key file exists already at {path}: keep it, or delete it first to make a new key").format(
                path=target),
            path=str(target),
        )
    try:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
        fd = os.open(
            tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), PRIVATE_KEY_MODE
        )
    except OSError as exc:
        raise BoxOfficeError(
            "bad_input", _("cannot create the key file at {path}: {problem}").format(path=target, problem=exc.strerror),
            path=str(target)
        ) from None
    try:
        try:
            # The umask may have taken bits away; make the mode exactly 0600 (it can only shrink, never grow).
            os.fchmod(fd, PRIVATE_KEY_MODE)
            view = memoryview(pem)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        _link_into_place(tmp, target)
    except OSError as exc:
        raise BoxOfficeError(
            "bad_input", _("cannot write the key file at {path}: {problem}").format(path=target, problem=exc.strerror),
            path=str(target)
        ) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    _fsync_dir(target.parent)


def load_private_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    """Read a private key written by :func:`save_private_key`.

    A missing, unreadable or damaged file all mean the same to the operator: this terminal has no usable
    signing key, so each raises ``not_initialised`` with a message that says which.
    """
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    target = Path(path)
    try:
        data = target.read_bytes()
    except FileNotFoundError:
        raise BoxOfficeError(
            "not_initialised",
            _("no signing key at {path}: run `boxoffice init` to make this terminal's key").format(path=target),
            path=str(target),
        ) from None
    except OSError as exc:
        raise BoxOfficeError(
            "not_initialised",
            _("cannot read the signing key at {path} ({problem}): check the file and its permissions").format(
                path=target, problem=exc.strerror),
            path=str(target),
        ) from None
    key = _ed25519_from_pkcs8_pem(data)
    if key is None:  # some other PEM: let cryptography read it (and refuse what is not an Ed25519 key)
        from cryptography.exceptions import UnsupportedAlgorithm
        from cryptography.hazmat.primitives import serialization

        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            key = None
    if not isinstance(key, Ed25519PrivateKey):
        raise BoxOfficeError(
            "not_initialised",
            _("the file at {path} is not an unencrypted Ed25519 private key: restore it from a backup").format(
                path=target),
            path=str(target),
        )
    return key


# An unencrypted Ed25519 key in PKCS#8 DER (RFC 8410) is this 16-byte header followed by the 32-byte seed.
_PKCS8_ED25519_HEADER = bytes.fromhex("302e020100300506032b657004220420")


def _ed25519_from_pkcs8_pem(data: bytes) -> Ed25519PrivateKey | None:
    """The key in a PEM file as save_private_key writes it, read without cryptography's serialization package
    (whose import costs more than a sale); None for anything else, which the caller reads the general way."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    lines = data.strip().splitlines()
    if len(lines) < 3 or lines[0] != b"-----BEGIN PRIVATE KEY-----" or lines[-1] != b"-----END PRIVATE KEY-----":
        return None
    try:
        der = base64.b64decode(b"".join(lines[1:-1]), validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(der) != len(_PKCS8_ED25519_HEADER) + 32 or not der.startswith(_PKCS8_ED25519_HEADER):
        return None
    return Ed25519PrivateKey.from_private_bytes(der[len(_PKCS8_ED25519_HEADER) :])


def _check_public_raw(public_raw: bytes) -> None:
    if not isinstance(public_raw, bytes | bytearray) or len(public_raw) != PUBLIC_KEY_LEN:
        raise BoxOfficeError("bad_input", _("a raw Ed25519 public key is exactly {length} bytes").format(
            length=PUBLIC_KEY_LEN))


def _link_into_place(tmp: Path, target: Path) -> None:
    """Give the finished temporary file its real name, failing rather than replacing an existing key."""
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise BoxOfficeError(
            "already_exists",
            _("a key file appeared at {path} while writing: keep it, or delete it first to make a new key").format(
                path=target),
            path=str(target),
        ) from None
    except OSError:
        # File systems without hard links (FAT on a USB stick): a rename is atomic too, the check above covers
        # the existing-file case outside a race with another process.
        os.rename(tmp, target)


def _fsync_dir(directory: Path) -> None:
    """Persist the new directory entry so the key survives a power cut right after `init`."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
