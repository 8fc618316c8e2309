"""What a sale keeps from one sale to the next to spare work, and that each of those keepings follows what changes:
the key id of the signing key, the blocks rendered per printer profile, and the marks file's last record."""

from __future__ import annotations

from typing import Any

import pytest

from boxoffice.domain.ids import uuid7
from boxoffice.domain.tenders import Tender
from boxoffice.errors import BoxOfficeError
from boxoffice.printing import escpos_render
from boxoffice.printing.escpos_render import render_escpos
from boxoffice.printing.layout import QR, Columns, Cut, Rule, Text
from boxoffice.services.sales import SaleRequest, sell
from boxoffice.store import marks
from boxoffice.tickets import keys
from boxoffice.tickets.token import TicketClaims, event_ref, section_ref, sign_token, verify_token


def test_a_new_signing_key_is_checked_against_its_own_id_not_the_last_keys() -> None:
    """The key id is worked out once per key object: a second key with the first key's id is still refused."""
    first, first_raw = keys.generate_keypair()
    second, second_raw = keys.generate_keypair()
    first_id, second_id = keys.key_id(first_raw), keys.key_id(second_raw)
    claims = TicketClaims(uuid7(), "gala", "standing", None, None)
    sign_token(claims, first, first_id)
    sign_token(claims, first, first_id)  # the id known now
    with pytest.raises(BoxOfficeError) as refused:
        sign_token(claims, second, first_id)
    assert refused.value.code == "bad_input"
    token = sign_token(claims, second, second_id)
    assert verify_token(token, {second_id: second_raw}.get).ticket_id == claims.ticket_id
    with pytest.raises(BoxOfficeError):
        sign_token(claims, first, second_id)
    assert keys.private_key_id(first) == first_id and keys.private_key_id(second) == second_id


def test_each_event_and_section_gets_its_own_refs_in_the_token() -> None:
    from boxoffice.tickets import token as token_module

    key, raw = keys.generate_keypair()
    for event, section in [("gala", "standing"), ("gala", "stalls"), ("jazz", "standing")]:
        signed = token_module.decode_token(sign_token(TicketClaims(uuid7(), event, section, None, None), key,
                                                      keys.key_id(raw)))
        assert (signed.event_ref, signed.section_ref) == (event_ref(event), section_ref(event, section))


def test_blocks_rendered_for_one_printer_profile_are_not_reused_for_another() -> None:
    """The rendered-block cache is per profile (and Chinese mode): a 58 mm printer after an 80 mm one gets its own
    lines, byte for byte what a cold render gives."""
    layout = [Text("Winter Gala at the Grand Hall", bold=True, size=2, align="center"), Rule(),
              Columns("Section", "Standing", bold=True), QR("HB0TESTTOKEN"), Text("ABC-123", align="center"), Cut()]
    escpos_render._BLOCK_CACHE.clear()
    cold = {profile: render_escpos(layout, profile) for profile in ("TM-T88V", "POS-5890")}
    assert cold["TM-T88V"] != cold["POS-5890"], "the profiles differ in width"
    escpos_render._BLOCK_CACHE.clear()
    assert render_escpos(layout, "TM-T88V") == cold["TM-T88V"]
    assert render_escpos(layout, "POS-5890") == cold["POS-5890"]
    assert render_escpos(layout, "TM-T88V") == cold["TM-T88V"]
    chinese = [Text("北京 音乐会"), Cut()]
    escpos_render._BLOCK_CACHE.clear()
    as_image = render_escpos(chinese, "TM-T88V")
    as_text = render_escpos(chinese, "TM-T88V", chinese="gb18030")
    assert as_image != as_text
    escpos_render._BLOCK_CACHE.clear()
    assert render_escpos(chinese, "TM-T88V", chinese="gb18030") == as_text


def test_a_printer_used_again_starts_as_a_new_one() -> None:
    """Each render starts with no code page selected and nothing written, whatever the render before it left."""
    greek = [Text("Καλησπέρα Ελλάδα"), Cut()]
    plain = [Text("Bench Hall"), Columns("Order", "ABC-123"), Cut()]
    for profile in ("TM-T88V", "POS-5890"):
        escpos_render._BLOCK_CACHE.clear()
        escpos_render._PRINTERS.clear()
        cold = render_escpos(plain, profile)
        escpos_render._BLOCK_CACHE.clear()
        render_escpos(greek, profile)  # leaves its printer on a Greek code page
        assert render_escpos(plain, profile) == cold
        assert render_escpos(greek, profile) + render_escpos(plain, profile) == \
            render_escpos(greek, profile) + cold


def _sale(ctx: Any, event: str) -> dict[str, Any]:
    return dict(sell(ctx, SaleRequest(event_id=event, section_id="standing", counts={"adult": 1},
                                      tenders=[Tender("card", card_last4="4242")])))


def test_the_marks_file_moved_by_another_process_is_read_again_and_never_lowered(
        terminal: Any, demo_events: tuple[str, str]) -> None:
    """The hook remembers the record it wrote; a file whose bytes differ (another process, a restore) is read
    again, so marks further on than this database stay where they are."""
    event = demo_events[0]
    path = marks.path_for(terminal.config.db_path)
    _sale(terminal, event)
    mine = marks.read(path)
    assert mine is not None and mine == marks.head(terminal.conn)
    _sale(terminal, event)
    assert marks.read(path) == marks.head(terminal.conn), "the file follows each sale"
    ahead = marks.Marks(mine.terminal_id, mine.seq + 50, "f" * 64, mine.next_order_seq + 50)
    marks.write(path, ahead)  # as another process (or a restore) left it
    _sale(terminal, event)
    assert marks.read(path) == ahead, "never moved back"
    path.write_bytes(b"not a marks file")  # a file that does not parse counts as none
    _sale(terminal, event)
    assert marks.read(path) == marks.head(terminal.conn)
    assert path.stat().st_size == marks.RECORD


def test_a_print_outcome_leaves_the_marks_file_alone(terminal: Any, demo_events: tuple[str, str],
                                                     tmp_path: Any) -> None:
    from boxoffice.services.printing import run_jobs

    terminal.config.printer = f"file://{tmp_path / 'printer.bin'}"
    sale = _sale(terminal, demo_events[0])
    path = marks.path_for(terminal.config.db_path)
    before = path.read_bytes()
    statements: list[str] = []
    terminal.conn.set_trace_callback(statements.append)
    try:
        assert [r["status"] for r in run_jobs(terminal, sale["jobs"])] == ["printed"]
    finally:
        terminal.conn.set_trace_callback(None)
    assert path.read_bytes() == before
    assert not [s for s in statements if "FROM terminal t" in s], "no read of the head for the marks"


def test_a_marks_write_that_failed_is_made_by_the_print_outcome_after_it(
        terminal: Any, demo_events: tuple[str, str], tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk at the sale's commit leaves the marks behind (safe, the sale stands); the print job's commit
    right after brings them up to date instead of waiting for the next sale."""
    from boxoffice.services.printing import run_jobs

    terminal.config.printer = f"file://{tmp_path / 'printer.bin'}"
    _sale(terminal, demo_events[0])
    path = marks.path_for(terminal.config.db_path)
    before = marks.read(path)

    def disk_full(self: Any, now: Any) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(marks._Keeper, "_advance", disk_full)
        sale = _sale(terminal, demo_events[0])
    assert marks.read(path) == before, "behind after the failed write"
    assert [r["status"] for r in run_jobs(terminal, sale["jobs"])] == ["printed"]
    assert marks.read(path) == marks.head(terminal.conn)


def test_the_marks_record_names_every_field_of_the_marks() -> None:
    """The record is written field by field (not by dataclasses.asdict): a field added to Marks must be written too,
    and the record reads back as the marks written."""
    import dataclasses
    import json

    kept = marks.Marks("01a2-terminal", 4_321, "ab" * 32, 77)
    assert marks._record(kept) == json.dumps({"format": marks.FORMAT, **dataclasses.asdict(kept)},
                                             sort_keys=True).encode("utf-8").ljust(marks.RECORD, b" ")
    assert marks._parse(marks._record(kept)) == kept
