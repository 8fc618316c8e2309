"""ESC/POS rendering, checked the way a printer would see it: bytes sent over TCP, parsed back, QR scanned."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap

import pytest
from escpos_decode import BASE45, Decoded, FakeNetworkPrinter, NativeQR, decode, qr_symbol, sample_token, scan_all
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boxoffice.errors import BoxOfficeError
from boxoffice.printing.documents import ReceiptView, TicketView, receipt_layout, ticket_layout
from boxoffice.printing.escpos_render import profile_info, render_escpos
from boxoffice.printing.layout import QR, Columns, Cut, Rule, Text
from boxoffice.printing.transport import send
from boxoffice.printing.uri import parse_printer_uri


def ticket(seat: int = 12, token: str | None = None, event: str = "Spring Gala", copy: bool = False) -> TicketView:
    return TicketView(
        venue="Stadthalle Café Müller",
        event_name=event,
        starts_at="Sat 12 Apr 2026 20:00",
        section="Parkett",
        row="F",
        seat=str(seat),
        ticket_type="Adult",
        price="€35.00",
        order_code="K7M4-PQ9X",
        token=token or sample_token(seat),
        copy=copy,
    )


def receipt(copy: bool = False) -> ReceiptView:
    return ReceiptView(
        venue="Stadthalle",
        order_code="K7M4-PQ9X",
        lines=[("Adult", 2, "70.00"), ("Concession", 1, "25.00")],
        total="95.00",
        tax_lines=[("incl. VAT 7%", "6.21")],
        tenders=[("Cash", "100.00")],
        change="5.00",
        operator="anna",
        time="12.04.2026 19:02",
        footer="Thank you!",
        copy=copy,
    )


def scanned(decoded: Decoded) -> list[str]:
    """Every QR code on the paper, in print order: zxing on the printed images and on native codes drawn as the
    printer draws them."""
    return scan_all(decoded)


def print_over_tcp(data: bytes) -> bytes:
    """Send ``data`` to a fake network printer with the real transport and return what it received."""
    with FakeNetworkPrinter() as printer:
        send(parse_printer_uri(printer.uri), data)
        return printer.wait_for_jobs(1)[0]


def test_ticket_sent_over_tcp_scans_back_to_the_token() -> None:
    token = sample_token(1)
    data = render_escpos(ticket_layout(ticket(token=token)))
    received = print_over_tcp(data)
    assert received == data
    out = decode(received)
    assert scanned(out) == [token]
    assert out.cuts == 1
    for expected in ("Stadthalle Café Müller", "Spring Gala", "Sat 12 Apr 2026 20:00", "K7M4-PQ9X"):
        assert expected in out.texts
    assert any(line.startswith("Section") and line.endswith("Parkett") for line in out.texts)
    assert any(line.startswith("Price") and line.endswith("€35.00") for line in out.texts)


@pytest.mark.parametrize(("native", "kind"), [(True, "qr"), (False, "image")])
def test_the_qr_sits_inside_its_ticket_before_the_cut(native: bool, kind: str) -> None:
    data = render_escpos(ticket_layout(ticket(1)) + ticket_layout(ticket(2)), native_qr=native)
    pieces = decode(data).pieces()
    assert len(pieces) == 2
    for piece in pieces:
        assert [k for k, _ in piece].count(kind) == 1
        assert [k for k, _ in piece].count("qr" if kind == "image" else "image") == 0
        assert piece[-1][0] == "cut"


@pytest.mark.parametrize(("profile", "cuts_per_ticket"), [("TM-T88V", 1), ("TM-T20II", 1), ("POS-5890", 0)])
def test_cut_count_follows_the_cutter(profile: str, cuts_per_ticket: int) -> None:
    layout = [block for seat in range(3) for block in ticket_layout(ticket(seat))]
    out = decode(render_escpos(layout, profile), profile)
    assert out.cuts == 3 * cuts_per_ticket
    assert scanned(out) == [sample_token(seat) for seat in range(3)]


@pytest.mark.parametrize(
    "profile",
    ["TM-T88V", "TM-T20II", "TM-P80", "TSP600", "RP-F10-80mm", "POS-5890", "ZJ-5870", "TM-U220", "default"],
)
@pytest.mark.parametrize("native", [True, False])
def test_qr_decodes_on_every_kind_of_profile(profile: str, native: bool) -> None:
    token = sample_token(7)
    data = render_escpos(ticket_layout(ticket(token=token)), profile, native_qr=native)
    out = decode(data, profile)
    assert scanned(out) == [token]
    info = profile_info(profile)
    assert out.qr_codes == ([token] if native and info.native_qr else [])
    assert all(image.width <= info.paper_px + 7 for image in out.images)
    for code in out.native_qrs:
        assert (qr_symbol(code).modules_count + 8) * code.size <= info.paper_px, "the code fits the paper"


def test_impact_printer_gets_column_images() -> None:
    data = render_escpos([QR(sample_token(3))], "TM-U220")
    assert b"\x1b*" in data and b"\x1dv0" not in data
    assert scanned(decode(data, "TM-U220")) == [sample_token(3)]


def test_native_qr_where_the_profile_has_it_unless_switched_off() -> None:
    token = sample_token(4)
    native = decode(render_escpos([QR(token)], "TM-T88V"))
    assert native.qr_codes == [token]
    assert native.images == []
    assert scanned(native) == [token]
    # POS-5890 has no native QR: an image that still scans.
    assert not profile_info("POS-5890").native_qr
    fallback = decode(render_escpos([QR(token)], "POS-5890"), "POS-5890")
    assert fallback.qr_codes == []
    assert scanned(fallback) == [token]
    # Switched off (printer_qr = "image"): an image even where native QR exists.
    forced = decode(render_escpos([QR(token)], "TM-T88V", native_qr=False))
    assert forced.qr_codes == [] and len(forced.images) == 1
    assert scanned(forced) == [token]


@pytest.mark.parametrize(("profile", "size"), [("TM-T88V", 6), ("TM-T20II", 7), ("TSP600", 7), ("default", 7)])
def test_native_qr_is_model_2_error_correction_m_sized_for_the_paper(profile: str, size: int) -> None:
    """The bytes a printer gets: the token stored as is, model 2, EC M, modules of about 0.85 mm, centred; the
    symbol is the version a real token needs (6: 153 Base45 characters) and fits the paper."""
    token = sample_token(5, 153)
    out = decode(render_escpos(ticket_layout(ticket(token=token)), profile), profile)
    assert out.native_qrs == [NativeQR(token, model=2, size=size, ec="M", align="center")]
    symbol = qr_symbol(out.native_qrs[0])
    assert symbol.version == 6
    assert (symbol.modules_count + 8) * size <= profile_info(profile).paper_px
    assert 0.7 <= size * 25.4 / profile_info(profile).dpi <= 0.9, "module of about 0.85 mm"
    stored = b"\x1d(k" + (len(token) + 3).to_bytes(2, "little") + b"1P0" + token.encode()
    assert stored in render_escpos([QR(token)], profile), "the token's bytes, unchanged"
    # The text after the code is left-aligned again.
    after = decode(render_escpos([QR(token), Text("after")], profile), profile)
    assert after.lines[-1].text == "after" and after.lines[-1].align == "left"


def test_raster_qr_is_the_same_symbol_as_before() -> None:
    """The raster written directly equals the image escpos made from PIL before (same dots, same place)."""
    from boxoffice.printing.escpos_qr import qr_image

    token = sample_token(6, 153)
    for profile in ("TM-T88V", "POS-5890", "TM-T20II"):
        info = profile_info(profile)
        (image,) = decode(render_escpos([QR(token)], profile, native_qr=False), profile).images
        expected = qr_image(token, info.paper_px, info.dpi).convert("L")
        assert image.size[1] == expected.size[1]
        assert image.crop((0, 0, *expected.size)).tobytes() == expected.tobytes()


def test_native_qr_modules_follow_the_encoder() -> None:
    """The module size is chosen without drawing the symbol: the version from the capacity table must be the
    one an encoder picks, for every mode and every length up to version 10."""
    from boxoffice.printing.escpos_qr import qr_modules
    from boxoffice.printing.qr import qr_matrix

    for length in range(1, 312, 3):
        for data in ("7" * length, ("BX1:" + BASE45 * 8)[:length], ("ticket-" * 50)[:length]):
            assert qr_modules(data) == len(qr_matrix(data)), (len(data), data[:10])
    assert qr_modules("é" * 120) == len(qr_matrix("é" * 120))
    assert qr_modules("x" * 400) == len(qr_matrix("x" * 400)), "past version 10: from the symbol"


def test_cached_blocks_give_the_same_bytes_as_a_cold_render() -> None:
    """Blocks are rendered once and reused: a job after the cache is warm, in any order, is byte for byte what
    it is with an empty cache (code pages and styles carried across blocks included)."""
    from boxoffice.printing import escpos_render

    layouts = [
        ticket_layout(ticket(1)),
        receipt_layout(receipt(), open_drawer=True),
        ticket_layout(ticket(2, event="Καλησπέρα Москва 音乐会")),
        [Text("Ünïcødé €", bold=True), Columns("Straße", "Ελλάδα"), Rule(), Text("plain"), Cut()],
    ]
    escpos_render._BLOCK_CACHE.clear()
    cold = [render_escpos(layout, "TM-T88V") for layout in layouts]
    for layout, expected in [*zip(layouts, cold, strict=True), *reversed(list(zip(layouts, cold, strict=True)))]:
        assert render_escpos(layout, "TM-T88V") == expected
    mixed = [block for layout in reversed(layouts) for block in layout]
    warm = render_escpos(mixed, "TM-T88V")
    escpos_render._BLOCK_CACHE.clear()
    assert warm == render_escpos(mixed, "TM-T88V")


def test_receipt_text_has_lines_total_tender_and_change() -> None:
    out = decode(print_over_tcp(render_escpos(receipt_layout(receipt()))))
    lines = out.texts
    for left, right in [
        ("Adult x2", "70.00"),
        ("Concession x1", "25.00"),
        ("TOTAL", "95.00"),
        ("incl. VAT 7%", "6.21"),
        ("Cash", "100.00"),
        ("Change", "5.00"),
        ("Order", "K7M4-PQ9X"),
    ]:
        matching = [line for line in lines if line.startswith(left) and line.endswith(right)]
        assert matching, f"no line {left} ... {right} in {lines}"
        assert len(matching[0]) == profile_info("TM-T88V").columns
    assert "Served by anna" in lines
    assert "Thank you!" in lines
    assert out.images == []
    assert out.drawer_kicks == 0
    assert out.cuts == 1


def test_drawer_kick_when_asked() -> None:
    out = decode(render_escpos(receipt_layout(receipt(), open_drawer=True)))
    assert out.drawer_kicks == 1
    assert out.events[0][0] == "drawer"


def test_accented_latin_goes_through_code_pages() -> None:
    for profile in ("TM-T88V", "TSP600", "TM-T20II", "POS-5890"):
        data = render_escpos([Text("Café Müller"), Text("Łódź, Ørsted, Straße")], profile)
        out = decode(data, profile)
        assert out.texts == ["Café Müller", "Łódź, Ørsted, Straße"], profile
        assert out.images == []
        assert out.code_pages, "a code page must be selected before non-ASCII text"


def test_decomposed_accents_are_composed_first() -> None:
    out = decode(render_escpos([Text("Cafe\u0301 Mu\u0308ller")]))
    assert out.texts == ["Café Müller"]


def test_chinese_line_is_printed_as_an_image_never_as_question_marks() -> None:
    name = "张伟 演唱会 2026"
    token = sample_token(9)
    data = render_escpos(ticket_layout(ticket(token=token, event=name)))
    out = decode(print_over_tcp(data))
    assert not any("?" in line for line in out.texts)
    assert name not in out.text
    assert name.encode("gb18030") not in data  # escpos' raw GB18030 path was not taken
    assert len(out.images) == 1 and out.qr_codes == [token]  # the name as an image, the printer's own QR
    name_image = out.images[0]
    assert name_image.getextrema()[0] == 0, "the name image has ink"
    assert scanned(out) == [token]


def test_cjk_only_in_one_column_renders_the_line_as_an_image() -> None:
    out = decode(render_escpos([Columns("演唱会 x2", "70.00"), Columns("Adult x2", "70.00")]))
    assert len(out.images) == 1
    assert [line for line in out.texts if line] == ["Adult x2" + " " * 29 + "70.00"]


def test_copy_says_copy_large_and_keeps_the_token() -> None:
    token = sample_token(5)
    out = decode(render_escpos(ticket_layout(ticket(token=token), copy=True)))
    banners = [line for line in out.lines if line.text == "*** COPY ***"]
    assert banners and banners[0].double_width and banners[0].double_height and banners[0].bold
    assert scanned(out) == [token]
    original = decode(render_escpos(ticket_layout(ticket(token=token))))
    assert "*** COPY ***" not in original.texts


def test_text_width_follows_the_profile() -> None:
    for profile, columns in (("TM-T88V", 42), ("TM-T20II", 48), ("POS-5890", 32)):
        out = decode(render_escpos([Rule(), Text("x " * 40), Text("WIDE " * 10, size=2)], profile), profile)
        assert out.texts[0] == "-" * columns
        assert all(len(line) <= columns for line in out.texts)
        assert all(len(line.text) <= columns // 2 for line in out.lines if line.double_width)


def test_control_characters_cannot_inject_commands() -> None:
    evil = "Mallory\x1b@\x1dV\x00\x1bp\x00\x19\x19\nNext"
    data = render_escpos([Text(evil), Columns(evil, "1.00")])
    out = decode(data)
    assert out.cuts == 0
    assert out.drawer_kicks == 0
    assert out.texts[0].startswith("Mallory")


def test_unknown_profile_is_bad_input_with_suggestions() -> None:
    with pytest.raises(BoxOfficeError) as caught:
        render_escpos([Text("x")], "TM-T88X")
    assert caught.value.code == "bad_input"
    assert "TM-T88V" in caught.value.message


def test_profile_without_images_refuses_a_qr() -> None:
    with pytest.raises(BoxOfficeError) as caught:
        render_escpos([QR(sample_token(1))], "OCD-100")
    assert caught.value.code == "bad_input"


def test_job_starts_with_a_reset_and_is_deterministic() -> None:
    layout = ticket_layout(ticket())
    data = render_escpos(layout)
    assert data.startswith(b"\x1b@")
    assert data == render_escpos(layout)


def test_receipt_and_tickets_in_one_job() -> None:
    layout = ticket_layout(ticket(1)) + ticket_layout(ticket(2)) + receipt_layout(receipt(), open_drawer=True)
    out = decode(render_escpos(layout))
    assert out.cuts == 3
    assert out.drawer_kicks == 1
    assert scanned(out) == [sample_token(1), sample_token(2)]
    assert isinstance(layout[-1], Cut)


def test_no_import_cost_and_no_litter(tmp_path) -> None:
    """Importing the printing package loads neither escpos nor reportlab; printing leaves /tmp, stdout and
    the root logger as they were."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    script = textwrap.dedent(
        """
        import logging, sys
        import boxoffice.printing, boxoffice.printing.layout, boxoffice.printing.escpos_render
        import boxoffice.printing.pdf_render, boxoffice.printing.transport, boxoffice.printing.uri
        assert "escpos" not in sys.modules and "reportlab" not in sys.modules, "heavy import at load"
        from boxoffice.printing.layout import QR, Text
        from boxoffice.printing.escpos_render import render_escpos
        before = list(logging.root.handlers)
        data = render_escpos([Text("x"), QR("BX1:TEST")], "default")
        assert logging.root.handlers == before, "escpos left a log handler"
        sys.stderr.write(str(len(data)))
        """
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "TMPDIR": str(scratch),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "HOME": str(tmp_path),
    }
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "", "escpos printed to stdout"
    assert list(scratch.iterdir()) == [], "escpos left a temporary directory"
    assert list((tmp_path / "cache" / "boxoffice" / "escpos").iterdir()), "capability cache not in user cache"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet="abcxyzABCXYZ0123456789éèêëàâäöüÜÖÄßçñøåÅ€£-.,:;!'()", min_size=1, max_size=40))
def test_latin_text_round_trips_through_code_pages(text: str) -> None:
    assert decode(render_escpos([Text(text)])).texts == [text]


@settings(max_examples=12, deadline=None)
@given(st.text(alphabet=BASE45, min_size=100, max_size=154).map(str.strip).filter(bool), st.booleans())
def test_any_token_scans_back(token: str, native: bool) -> None:
    out = decode(render_escpos([QR(token)], native_qr=native))
    assert out.qr_codes == ([token] if native else [])
    assert scanned(out) == [token]


def test_font_lookup_prefers_the_configured_file(tmp_path, monkeypatch) -> None:
    from boxoffice.printing.escpos_render import FONT_ENV, font_files_for

    font = tmp_path / "venue.ttf"
    font.write_bytes(b"not really a font")
    monkeypatch.setenv(FONT_ENV, str(font))
    assert font_files_for("张伟")[0] == font


@pytest.mark.skipif(not shutil.which("fc-list"), reason="needs fontconfig")
def test_fontconfig_finds_a_font_covering_the_text() -> None:
    from boxoffice.printing.escpos_render import font_files_for

    if not subprocess.run(["fc-list", ":charset=416"], capture_output=True, text=True).stdout.strip():
        pytest.skip("no font with Cyrillic installed")
    assert font_files_for("Жанна")
    # On a printer with only CP437 the Cyrillic name becomes an image drawn with that font.
    out = decode(render_escpos([Text("Жанна")], "simple"), "simple")
    assert len(out.images) == 1 and out.texts == []


def test_decoder_reads_what_a_printer_would_do_with_qr_commands() -> None:
    """The test decoder itself: settings left out are the printer's defaults after a reset (so a renderer that
    forgot error correction M is caught), and a print with nothing stored, or an unknown function, is refused."""
    from boxoffice.printing.escpos_qr import _qr_function

    store, show = _qr_function(80, b"0BX1:ABC"), _qr_function(81, b"0")
    assert decode(b"\x1b@" + store + show).native_qrs == [NativeQR("BX1:ABC", 2, 3, "L", "left")]
    settings_then_reset = _qr_function(69, b"\x31") + _qr_function(67, b"\x08") + b"\x1b@"
    assert decode(settings_then_reset + store + show).native_qrs[0].ec == "L"
    for bad in (b"\x1b@" + show, _qr_function(82, b"0"), _qr_function(67, b"\x20"), _qr_function(69, b"\x39")):
        with pytest.raises(ValueError):
            decode(bad)
