"""Abuse through what arrives as files: photos of tickets (any image, broken images, QR codes of anything) and the
catalogue, web-order and key documents. Each is read or refused with a clean error from the documented table, and
a refused document changes nothing.
"""

from __future__ import annotations

import copy
import io
import json
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pickup_fixtures import Central, orders_doc, standard_orders
from PIL import Image
from stress_helpers import ABUSE_SCALE, changed_tables, fingerprint, refusal_problem

from boxoffice.errors import BoxOfficeError

SETTINGS = settings(deadline=None, derandomize=ABUSE_SCALE == 1, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# --- photos of tickets --------------------------------------------------------------------------------------

FORMATS = ["PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP", "PPM", "ICO", "PCX", "TGA", "SGI"]
MODES = ["1", "L", "P", "RGB", "RGBA", "CMYK", "YCbCr", "LAB", "HSV", "I", "F", "LA", "PA", "I;16"]


def _image_bytes(mode: str, fmt: str, size: tuple[int, int], colour: int = 255) -> bytes | None:
    try:
        img = Image.new(mode, size, colour if mode not in ("LAB", "HSV", "YCbCr") else None)
        out = io.BytesIO()
        img.save(out, fmt)
        return out.getvalue()
    except (OSError, ValueError, KeyError, TypeError):
        return None  # this format cannot hold this mode: nothing to try


SEEDS = [b for b in (_image_bytes("RGB", f, (48, 48)) for f in FORMATS) if b]


def _qr_png(text: str | bytes) -> bytes | None:
    import zxingcpp

    try:
        barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode)
    except (ValueError, RuntimeError, TypeError):
        return None  # too long for a QR code
    img = Image.fromarray(barcode.to_image(scale=4, add_quiet_zones=True)) if hasattr(barcode, "to_image") \
        else None
    if img is None:
        return None
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


@st.composite
def broken_images(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["set", "cut", "insert"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "set" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[at:]
        else:
            data[at:at] = draw(st.binary(min_size=1, max_size=32))
    return bytes(data)


def _decode_cleanly(path: Path, data: bytes) -> list[str] | str:
    """decode_image on ``data``: the QR texts found, or the refusal's code. Anything else fails the test."""
    from boxoffice.services.tickets import decode_image

    path.write_bytes(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return decode_image(str(path))
        except BoxOfficeError as exc:
            assert exc.code in ("bad_input", "malformed_token"), exc.code
            assert "\n" not in exc.message
            return exc.code


def test_every_mode_and_format_of_image_is_read_or_refused_cleanly(tmp_path: Path) -> None:
    tried = 0
    for mode in MODES:
        for fmt in FORMATS:
            data = _image_bytes(mode, fmt, (40, 30))
            if data is not None:
                tried += 1
                # Blank, so no QR code is found; a LAB image cannot even be turned grey to look for one.
                expected = ("bad_input", "malformed_token") if mode == "LAB" else ("malformed_token",)
                assert _decode_cleanly(tmp_path / f"x.{fmt.lower()}", data) in expected, (mode, fmt)
    assert tried > 60


@settings(SETTINGS, max_examples=300 * ABUSE_SCALE)
@given(data=broken_images())
def test_broken_images_are_refused_cleanly(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    _decode_cleanly(tmp_path_factory.mktemp("img") / "photo", data)


@settings(SETTINGS, max_examples=100 * ABUSE_SCALE)
@given(data=st.binary(max_size=2000))
def test_random_bytes_as_a_photo_are_refused_cleanly(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    assert _decode_cleanly(tmp_path_factory.mktemp("img") / "photo.png", data) in ("bad_input", "malformed_token")


# An 8x8 PNG whose image data chunk says it is 2 bytes long: Pillow reads the next chunk from the middle of the
# data and raises SyntaxError ("broken PNG file"), which no photo reader expects.
BROKEN_PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000008000000080800000000e164e157000000024944415478"
                           "9c63fccf00014c0c3c31004941010f7960f3f80000000049454e44ae426082")


def test_a_png_broken_inside_its_data_is_refused_cleanly(tmp_path: Path) -> None:
    assert _decode_cleanly(tmp_path / "broken.png", BROKEN_PNG) == "bad_input"


def test_an_image_too_large_to_open_is_refused_not_loaded(tmp_path: Path) -> None:
    big = Image.new("1", (20_000, 20_000), 1)  # 400 megapixels, a few kilobytes as PNG
    out = io.BytesIO()
    big.save(out, "PNG")
    assert len(out.getvalue()) < 1_000_000
    assert _decode_cleanly(tmp_path / "bomb.png", out.getvalue()) == "bad_input"


@settings(SETTINGS, max_examples=60 * ABUSE_SCALE)
@given(text=st.one_of(st.text(min_size=1, max_size=120), st.sampled_from([
    "Robert'); DROP TABLE tickets;--", "\x00\x01\x02", "\x1b[2J", "A" * 150, "NCF8 :$%*+-./", " " * 20])))
def test_qr_codes_of_anything_are_never_a_valid_ticket(terminal, tmp_path_factory, text: str) -> None:  # noqa: ANN001
    from boxoffice.services.tickets import verify

    png = _qr_png(text)
    if png is None:
        return
    found = _decode_cleanly(tmp_path_factory.mktemp("qr") / "qr.png", png)
    assert isinstance(found, list) and found, found
    for t in found:
        with pytest.raises(BoxOfficeError) as refused:
            verify(terminal, t)
        assert refused.value.code in ("malformed_token", "bad_signature", "unknown_key")


def test_a_photo_through_the_cli_is_refused_cleanly(terminal, cli, tmp_path: Path) -> None:  # noqa: ANN001
    cases = {"broken.png": BROKEN_PNG, "cut.png": SEEDS[0][:40], "text.png": b"not an image at all",
             "lab.tif": _image_bytes("LAB", "TIFF", (20, 20)), "garbage-qr.png": _qr_png("hello, door")}
    before = fingerprint(terminal.config.db_path)
    for name, data in cases.items():
        assert data is not None, name
        (tmp_path / name).write_bytes(data)
        for args in (["ticket", "verify", "--image", str(tmp_path / name)],
                     ["ticket", "verify", "--image", str(tmp_path / name), "--json"]):
            r = cli(*args, db=terminal)
            assert r.exit_code in (2, 6), (name, r.exit_code, r.output)
            assert refusal_problem(r.exit_code, r.stdout, r.stderr, "--json" in args) is None, (name, r.output)
    assert changed_tables(before, fingerprint(terminal.config.db_path)) == []


# --- documents ----------------------------------------------------------------------------------------------

NASTY_JSON = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20),
    st.sampled_from(["", " ", "-1", "1e309", "2026-02-30T19:00", "99:99", "Robert'); DROP TABLE events;--",
                     "\x00", "\x1b[31m", "\u202e", "A" * 5000, "Not/A_Zone", "XXX", "0", "00:00", "-0.01",
                     "0001-01-01T00:00", "9999-12-31T23:59"]),
    st.just([]), st.just({}), st.just([None]), st.just({"": None}),
)


def _paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    """Every place in a JSON document: each key of each object, each item of each list."""
    out = [prefix] if prefix else []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc[:4]):  # the first few items of long lists say enough
            out += _paths(v, (*prefix, i))
    return out


@st.composite
def mutated(draw: st.DrawFn, original: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``original`` with a few places set to hostile values, dropped, or doubled."""
    doc = copy.deepcopy(original)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(doc)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        try:
            for step in path[:-1]:
                parent = parent[step]
        except (KeyError, IndexError, TypeError):
            continue
        last = path[-1]
        action = draw(st.sampled_from(["set", "set", "set", "drop", "double"]))
        if action == "set":
            parent[last] = copy.deepcopy(draw(NASTY_JSON))  # st.just gives the same list each time
        elif action == "drop":
            del parent[last]
        elif isinstance(parent, list):
            parent.append(copy.deepcopy(parent[last]))
    return doc


def _refused_cleanly_or_taken(ctx: Any, fn: Any, doc: Any, codes: set[str]) -> bool:
    """``fn(ctx, doc)``: True if taken; on refusal, a known code, one line, and no table changed."""
    before = fingerprint(ctx.config.db_path)
    try:
        fn(ctx, doc)
        return True
    except BoxOfficeError as exc:
        assert exc.code in codes, (exc.code, exc.message)
        assert "\n" not in exc.message
        assert changed_tables(before, fingerprint(ctx.config.db_path)) == [], exc.message
        return False


def _still_works(ctx: Any) -> None:
    ok = ctx.conn.execute("PRAGMA integrity_check").fetchone()[0]
    assert ok == "ok"
    from boxoffice.services.audit import verify

    assert verify(ctx)["ok"]


DOC_CODES = {"invalid_document", "bad_input", "conflict", "not_found", "already_exists"}


def test_mutated_catalogues_are_imported_whole_or_refused_whole(terminal) -> None:  # noqa: ANN001
    from stress_helpers import stress_catalogue

    from boxoffice.services.catalog import import_catalog
    from boxoffice.services.demo_catalog import demo_catalog

    taken: list[bool] = []

    @settings(SETTINGS, max_examples=150 * ABUSE_SCALE)
    @given(doc=st.one_of(mutated(stress_catalogue()), mutated(demo_catalog(terminal.now().date()))))
    def check(doc: dict[str, Any]) -> None:
        taken.append(_refused_cleanly_or_taken(terminal, import_catalog, doc, DOC_CODES))

    check()
    assert not all(taken) and any(taken), "the mutations both pass and fail"
    _still_works(terminal)


def test_mutated_web_order_documents_are_imported_whole_or_refused_whole(terminal, demo_events) -> None:  # noqa: ANN001
    from boxoffice.services.web_orders import import_keys, import_orders

    central = Central.make()
    import_keys(terminal, central.keys_doc())
    original = orders_doc(list(standard_orders(central, *demo_events).values()))
    taken: list[bool] = []

    @settings(SETTINGS, max_examples=150 * ABUSE_SCALE)
    @given(doc=mutated(original))
    def check(doc: dict[str, Any]) -> None:
        taken.append(_refused_cleanly_or_taken(terminal, import_orders, doc, DOC_CODES))

    check()
    assert not all(taken) and any(taken)
    _still_works(terminal)
    # Whatever was taken is whole: every web order has tickets with tokens that verify here.
    from boxoffice.services.tickets import verify

    for (token,) in terminal.conn.execute("SELECT t.token FROM tickets t JOIN orders o ON o.id = t.order_id"
                                          " WHERE o.channel = 'web'"):
        assert verify(terminal, token)["valid"]


def test_mutated_key_documents_are_taken_or_refused_whole(terminal) -> None:  # noqa: ANN001
    from boxoffice.services.web_orders import import_keys

    original = Central.make().keys_doc() + Central.make().keys_doc()

    @settings(SETTINGS, max_examples=80 * ABUSE_SCALE)
    @given(doc=mutated({"keys": original}))
    def check(doc: dict[str, Any]) -> None:
        _refused_cleanly_or_taken(terminal, import_keys, doc.get("keys", doc), DOC_CODES)

    check()
    _still_works(terminal)


BAD_FILES = {
    "truncated.json": b'{"format": "boxoffice.catalog/1", "venue": {"id": "x"',
    "not-utf8.json": b'{"format": "\xff\xfe"}',
    "utf16.json": '{"format": "boxoffice.catalog/1"}'.encode("utf-16"),
    "deep.json": b"[" * 200_000 + b"]" * 200_000,
    "huge-number.json": b'{"format": 1e999999}',
    "nan.json": b'{"format": NaN}',
    "half-character.json": b'{"format": "boxoffice.catalog/1", "venue": {"name": "\\ud800"}}',
    "duplicate-keys.json": b'{"format": "boxoffice.catalog/1", "format": "boxoffice.catalog/1"}',
    "empty.json": b"",
    "null.json": b"null",
    "list.json": b"[]",
    "bom.json": b'\xef\xbb\xbf{"format": "boxoffice.catalog/1"}',
}


@pytest.mark.parametrize("command", [["catalog", "import"], ["orders", "import"], ["keys", "import"]])
def test_broken_document_files_are_refused_in_one_clean_answer(terminal, cli, tmp_path: Path, command) -> None:  # noqa: ANN001
    before = fingerprint(terminal.config.db_path)
    for name, data in BAD_FILES.items():
        path = tmp_path / name
        path.write_bytes(data)
        for json_mode in (False, True):
            args = [*command, str(path), *(["--json"] if json_mode else [])]
            r = cli(*args, db=terminal)
            if command == ["keys", "import"] and name == "list.json":  # an empty list of keys is a list of keys
                assert r.exit_code == 0, r.output
                continue
            assert r.exit_code == 2, (name, r.exit_code, r.output[-300:])
            assert refusal_problem(r.exit_code, r.stdout, r.stderr, json_mode, documents=True) is None, \
                (name, r.stdout[-300:], r.stderr[-300:])
    assert changed_tables(before, fingerprint(terminal.config.db_path)) == []


def test_hostile_names_in_a_catalogue_are_stored_verbatim_or_refused(terminal, cli, tmp_path: Path) -> None:  # noqa: ANN001
    from stress_helpers import stress_catalogue

    for i, name in enumerate(["Robert'); DROP TABLE events;--", "<b>Gala</b> & \"friends\"", "\u202eGala",
                              "Zoë's \x7f night", "\x1b[31mRed Night", "tab\tname", "Gala \ud800 night",
                              "A" * 10_000_000]):
        doc = stress_catalogue()
        doc["events"][0]["name"] = name
        doc["venue"]["name"] = name
        path = tmp_path / f"cat{i}.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        r = cli("catalog", "import", str(path), "--json", db=terminal)
        assert refusal_problem(r.exit_code, r.stdout, r.stderr, True, documents=True) is None, r.stdout[-300:]
        tables = {row[0] for row in terminal.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"events", "orders", "tickets", "journal"} <= tables
        if r.exit_code == 0:
            shown = cli("event", "show", "night", "--json", db=terminal)
            assert shown.exit_code == 0 and shown.json()["name"] == name
        else:
            assert r.exit_code == 2 and r.json()["error"]["code"] in ("invalid_document", "bad_input")
    _still_works(terminal)


def test_mutated_web_orders_for_the_central_service_are_imported_or_refused_whole(tmp_path: Path) -> None:
    from stress_helpers import STALLS, STANDING, stress_catalogue

    from boxoffice.central.errors import CentralError
    from boxoffice.central.services import weborders
    from boxoffice.central.services.admin import init, publish_catalog
    from boxoffice.central.store.db import connect

    url = str(tmp_path / "central.db")
    init(url)
    (tmp_path / "cat.json").write_text(json.dumps(stress_catalogue()), encoding="utf-8")
    publish_catalog(url, tmp_path / "cat.json")
    original = {"format": "boxoffice.web-orders/1", "orders": [
        {"ref": f"shop-{i}", "event_id": "night", "customer_name": "Web Customer", "email": "w@example.com",
         "phone": "+44 7700 900123", "tickets": [{"section_id": STANDING, "type": "adult"},
                                                 {"section_id": STALLS, "type": "adult", "seat": f"RAA{i + 1}"}]}
        for i in range(2)]}
    taken: list[bool] = []

    @settings(SETTINGS, max_examples=150 * ABUSE_SCALE)
    @given(doc=mutated(original))
    def check(doc: dict[str, Any]) -> None:
        before = fingerprint(tmp_path / "central.db")
        try:
            with connect(url) as db:
                weborders.import_orders(db, doc, "2031-05-20T17:30:00Z")
            taken.append(True)
        except (BoxOfficeError, CentralError) as exc:
            assert "\n" not in str(exc)
            assert changed_tables(before, fingerprint(tmp_path / "central.db")) == []
            taken.append(False)

    check()
    assert any(taken) and not all(taken)
