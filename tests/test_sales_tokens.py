"""Tickets that must not get in: one character changed, cut short, signed by a key this terminal does not trust,
or revoked. Each is refused with its reason and exit status 6."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from test_sales_kit import Counter, make_counter

from boxoffice.domain.tenders import Tender
from boxoffice.errors import BoxOfficeError
from boxoffice.services.context import Ctx
from boxoffice.services.sales import SaleRequest, sell
from boxoffice.services.tickets import verify
from boxoffice.store import orders as order_store
from boxoffice.store.db import write
from boxoffice.tickets.token import BASE45_ALPHABET, HEADER_LEN, KEY_ID_LEN, b45decode

REFUSED = 6


@pytest.fixture(scope="module")
def sold(tmp_path_factory: pytest.TempPathFactory) -> tuple[Counter, dict]:
    """One counter with one sale: a reserved seat and a standing place (the two token shapes)."""
    counter = make_counter(tmp_path_factory.mktemp("tokens") / "counter")
    seat = counter.sell("--section", "stalls", "--type", "adult=1", "--card", "4242")
    standing = counter.sell("--section", "standing", "--type", "adult=1", "--card", "4242")
    return counter, {"seat": seat["tickets"][0]["token"], "standing": standing["tickets"][0]["token"]}


def refusal(counter: Counter, token: str) -> str:
    """Run `ticket verify` and return the refusal code, checking the exit status and the one-line message."""
    result = counter.cli("ticket", "verify", token, "--json")
    assert result.exit_code == REFUSED, (token, result.exit_code, result.stdout)
    error = json.loads(result.stdout)["error"]
    assert "VALID" not in result.stdout
    assert error["message"]
    plain = counter.cli("ticket", "verify", token)
    assert plain.exit_code == REFUSED
    assert plain.stderr.startswith("error: ") and "Traceback" not in plain.output
    return error["code"]


def changed_byte(token: str, position: int, replacement: str) -> int | None:
    """Which decoded byte a one-character change alters; None when the new text is not Base45 at all."""
    altered = token[:position] + replacement + token[position + 1 :]
    try:
        before, after = b45decode(token), b45decode(altered)
    except ValueError:
        return None
    diffs = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    return diffs[0] if diffs else None


@pytest.mark.parametrize("shape", ["seat", "standing"])
def test_the_genuine_tokens_verify(sold: tuple[Counter, dict], shape: str) -> None:
    counter, tokens = sold
    result = counter.cli("ticket", "verify", tokens[shape])
    assert result.exit_code == 0, result.output
    assert "VALID" in result.stdout


@pytest.mark.parametrize("shape", ["seat", "standing"])
def test_every_single_character_change_is_refused_for_the_right_reason(sold: tuple[Counter, dict],
                                                                        shape: str) -> None:
    counter, tokens = sold
    token = tokens[shape]
    reasons: dict[str, int] = {}
    with counter.services() as ctx:
        for position, original in enumerate(token):
            replacement = BASE45_ALPHABET[(BASE45_ALPHABET.index(original) + 7) % len(BASE45_ALPHABET)]
            altered = token[:position] + replacement + token[position + 1 :]
            with pytest.raises(BoxOfficeError) as refused:
                verify(ctx, altered)
            code = refused.value.code
            reasons[code] = reasons.get(code, 0) + 1
            byte = changed_byte(token, position, replacement)
            if byte is None or byte <= 1:  # the version, or the place length (tokens sold now are version 2)
                assert code == "malformed_token", (position, code)
            elif 2 <= byte <= KEY_ID_LEN + 1:
                assert code in ("unknown_key", "malformed_token"), (position, code)
            elif byte >= HEADER_LEN + (len(b45decode(token)) - HEADER_LEN - 64):
                assert code == "bad_signature", (position, code)  # a signature byte changed
            else:
                assert code in ("bad_signature", "malformed_token"), (position, code)
    assert reasons.get("bad_signature", 0) > len(token) // 2, reasons


def test_a_changed_character_is_refused_by_the_command(sold: tuple[Counter, dict]) -> None:
    counter, tokens = sold
    token = tokens["seat"]
    last = token[-1]
    replacement = "0" if last != "0" else "1"
    assert refusal(counter, token[:-1] + replacement) in ("bad_signature", "malformed_token")
    middle = len(token) // 2
    for replacement in BASE45_ALPHABET:
        if replacement != token[middle] and changed_byte(token, middle, replacement) is not None:
            break
    assert refusal(counter, token[:middle] + replacement + token[middle + 1 :]) == "bad_signature"


@pytest.mark.parametrize("keep", [1, 3, 30, 90, -1, -2, -3])
def test_truncated_tokens_are_malformed(sold: tuple[Counter, dict], keep: int) -> None:
    counter, tokens = sold
    assert refusal(counter, tokens["seat"][:keep]) == "malformed_token"


@pytest.mark.parametrize("junk", ["hello", "https://example.com/ticket/1", "0" * 400, "\u00e9\u00e8"])
def test_text_that_is_not_a_token_is_malformed(sold: tuple[Counter, dict], junk: str) -> None:
    counter, _ = sold
    assert refusal(counter, junk) == "malformed_token"


def test_a_token_signed_by_another_terminal_is_refused_as_unknown_key(
        sold: tuple[Counter, dict], make_terminal: Callable[..., Ctx], demo_events: tuple[str, str]) -> None:
    counter, tokens = sold
    other = make_terminal(fresh=True)  # its own terminal id and signing key
    foreign = sell(other, SaleRequest(event_id=demo_events[0], section_id="standing", counts={"adult": 1},
                                      tenders=[Tender("cash", 5000)]))["tickets"][0]["token"]
    assert verify(other, foreign)["valid"], "the other terminal trusts its own ticket"
    assert refusal(counter, foreign) == "unknown_key"
    assert foreign != tokens["standing"]


def test_a_revoked_ticket_is_refused(tmp_path: Path) -> None:
    counter = make_counter(tmp_path / "counter")
    sale = counter.sell("--section", "standing", "--type", "adult=2", "--card", "4242")
    kept, revoked = sale["tickets"]
    with counter.services() as ctx, write(ctx.conn):
        order_store.revoke(ctx.conn, revoked["id"], ctx.now_iso(), "refunded")
    assert refusal(counter, revoked["token"]) == "revoked"
    assert counter.cli("ticket", "verify", kept["token"]).exit_code == 0


def test_a_photo_with_no_qr_code_is_refused(sold: tuple[Counter, dict], tmp_path: Path) -> None:
    from PIL import Image

    counter, _ = sold
    blank = tmp_path / "blank.png"
    Image.new("L", (300, 300), 255).save(blank)
    result = counter.cli("ticket", "verify", "--image", str(blank))
    assert result.exit_code == REFUSED
    assert "no QR code" in result.stderr


def test_a_token_that_begins_with_a_hyphen_is_read_as_a_token(sold: tuple[Counter, dict]) -> None:
    """A version 1 token's first character follows its signing key's id, so one key in 45 made every ticket begin
    with '-': typed or pasted after `ticket verify`, it is the token, not an unknown option."""
    from boxoffice.tickets import keys
    from boxoffice.tickets.token import TicketClaims, sign_token

    counter, tokens = sold
    token = ""
    while not token.startswith("-"):
        key, public = keys.generate_keypair()
        token = sign_token(TicketClaims("0190c0de-0000-7000-8000-000000000000", "gala", "stalls", "A", "1"), key,
                           keys.key_id(public), version=1)
    assert refusal(counter, token) == "unknown_key"
    assert refusal(counter, "-" + tokens["seat"][1:]) in ("bad_signature", "malformed_token", "unknown_key")
