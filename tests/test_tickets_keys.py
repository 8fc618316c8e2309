"""Signing keys on disk: owner-only files, never overwritten, clear errors when missing or damaged."""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from boxoffice.errors import BoxOfficeError
from boxoffice.tickets import keys


def test_generated_pair_signs_and_its_id_is_the_sha256_prefix() -> None:
    private, public = keys.generate_keypair()
    assert len(public) == 32
    assert keys.public_raw(private) == public
    assert keys.key_id(public) == hashlib.sha256(public).digest()[:4]
    assert keys.key_id_hex(public) == hashlib.sha256(public).hexdigest()[:8]
    Ed25519PublicKey.from_public_bytes(public).verify(private.sign(b"x"), b"x")
    other_private, other_public = keys.generate_keypair()
    assert other_public != public


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077])
def test_saved_key_file_is_mode_0600_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    private, public = keys.generate_keypair()
    path = tmp_path / "keys" / "terminal.pem"
    old = os.umask(umask)
    try:
        keys.save_private_key(path, private)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert keys.public_raw(keys.load_private_key(path)) == public
    # No temporary file is left beside it.
    assert [p.name for p in path.parent.iterdir()] == ["terminal.pem"]


def test_save_never_overwrites_an_existing_key(tmp_path: Path) -> None:
    first, first_public = keys.generate_keypair()
    second, _ = keys.generate_keypair()
    path = tmp_path / "terminal.pem"
    keys.save_private_key(path, first)
    before = path.read_bytes()
    with pytest.raises(BoxOfficeError) as err:
        keys.save_private_key(path, second)
    assert err.value.code == "already_exists"
    assert path.read_bytes() == before
    assert keys.public_raw(keys.load_private_key(path)) == first_public


def test_save_into_an_impossible_place_is_a_box_office_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    private, _ = keys.generate_keypair()
    with pytest.raises(BoxOfficeError) as err:
        keys.save_private_key(blocker / "terminal.pem", private)
    assert err.value.code == "bad_input"


def test_loading_a_missing_key_is_not_initialised(tmp_path: Path) -> None:
    with pytest.raises(BoxOfficeError) as err:
        keys.load_private_key(tmp_path / "nope.pem")
    assert err.value.code == "not_initialised"
    assert "boxoffice init" in err.value.message


def test_loading_an_unreadable_path_is_not_initialised(tmp_path: Path) -> None:
    # A directory cannot be read as a file, even by root (chmod 000 would not stop root).
    with pytest.raises(BoxOfficeError) as err:
        keys.load_private_key(tmp_path)
    assert err.value.code == "not_initialised"


def _pem_of_other_key_type() -> bytes:
    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _encrypted_ed25519_pem() -> bytes:
    private, _ = keys.generate_keypair()
    return private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret"),
    )


@pytest.mark.parametrize(
    "content",
    [b"", b"garbage", b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", os.urandom(300)],
)
def test_loading_a_damaged_key_is_not_initialised(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "terminal.pem"
    path.write_bytes(content)
    with pytest.raises(BoxOfficeError) as err:
        keys.load_private_key(path)
    assert err.value.code == "not_initialised"
    assert "not an unencrypted Ed25519 private key" in err.value.message


@pytest.mark.parametrize("make", [_pem_of_other_key_type, _encrypted_ed25519_pem])
def test_loading_a_key_of_the_wrong_kind_is_not_initialised(tmp_path: Path, make) -> None:
    path = tmp_path / "terminal.pem"
    path.write_bytes(make())
    with pytest.raises(BoxOfficeError) as err:
        keys.load_private_key(path)
    assert err.value.code == "not_initialised"


def test_public_key_base64_round_trip() -> None:
    _, public = keys.generate_keypair()
    text = keys.public_b64(public)
    assert len(text) == 44
    assert base64.b64decode(text) == public
    assert keys.public_from_b64(text) == public
    assert keys.public_from_b64(f" {text}\n") == public


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not base64!",
        base64.b64encode(b"\x01" * 31).decode(),
        base64.b64encode(b"\x01" * 33).decode(),
        "A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg",  # padding missing
        "A6EHv/POEL4dcN0Y50vAm Wfk1jCbpQ1fHdyGZBJVMbg=",  # inner space
        "Ä6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=",
        None,
        b"A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=",
    ],
)
def test_public_key_garbage_is_bad_input(text: object) -> None:
    with pytest.raises(BoxOfficeError) as err:
        keys.public_from_b64(text)  # type: ignore[arg-type]
    assert err.value.code == "bad_input"


@pytest.mark.parametrize("raw", [b"", b"\x00" * 31, b"\x00" * 33, "x" * 32])
def test_key_id_refuses_anything_but_32_bytes(raw: object) -> None:
    for fn in (keys.key_id, keys.key_id_hex, keys.public_b64):
        with pytest.raises(BoxOfficeError) as err:
            fn(raw)  # type: ignore[arg-type]
        assert err.value.code == "bad_input"
