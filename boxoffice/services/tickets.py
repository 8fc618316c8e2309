"""Verifying a ticket token offline: signature, key, revocation, and what it admits according to the catalogue."""

from __future__ import annotations

from typing import Any, TypedDict

from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _
from boxoffice.services.context import Ctx
from boxoffice.services.signing import is_revoked, public_key_for
from boxoffice.store import catalog as catalog_store
from boxoffice.store import orders as order_store


class TicketCheck(TypedDict):
    """What a genuine ticket admits (:func:`verify`): its claims, the event and place this terminal knows them by,
    and whether the ticket is here and in what state."""

    valid: bool
    claims: dict[str, Any]
    event: str | None
    starts: str | None
    section: str | None
    row: str | None
    seat: str | None
    known_here: bool
    status: str | None


def resolve_place(ctx: Ctx, decoded: Any) -> tuple[dict | None, str | None]:
    """The catalogue event and section a verified token's refs name, if this terminal knows them."""
    from boxoffice.tickets.token import event_ref, match_place

    for ev in catalog_store.list_events(ctx.conn):
        if event_ref(ev["id"]) == decoded.event_ref:
            sections = [s["id"] for s in catalog_store.sections(ctx.conn, ev["id"])]
            return catalog_store.get_event(ctx.conn, ev["id"]), match_place(decoded, ev["id"], sections)
    return None, None


def verify(ctx: Ctx, token: str) -> TicketCheck:
    """Check a token and say what it admits; refusals raise with the reason (bad_signature, revoked, ...)."""
    from boxoffice.domain.clock import when_text
    from boxoffice.tickets.token import verify_token

    decoded = verify_token(token, public_key_for(ctx), is_revoked(ctx))
    ev, section_id = resolve_place(ctx, decoded)
    ticket = order_store.ticket_by_id(ctx.conn, decoded.ticket_id)
    if ticket is not None and ticket["token"] != decoded.text:
        raise BoxOfficeError("revoked", _("this ticket was re-issued: the token is not the current one; refuse entry "
                                          "and send the customer to the box office"))
    return {
        "valid": True,
        "claims": decoded.to_dict(ev["id"] if ev else None, section_id),
        "event": ev["name"] if ev else None,
        "starts": when_text(ev["starts_at"], ev["timezone"], year=True) if ev else None,
        "section": section_id,
        "row": decoded.row,
        "seat": decoded.seat,
        "known_here": ticket is not None,
        "status": ticket["status"] if ticket else None,
    }


# An image small in bytes can decode to gigabytes of pixels (a decompression bomb): both are checked before decoding.
MAX_IMAGE_BYTES = 32 * 2**20
MAX_IMAGE_PIXELS = 50_000_000  # a 48-megapixel phone photo still passes


def decode_image(path: str) -> list[str]:
    """Every QR text in an image file (a photo or scan of a ticket), refusing one too big to decode safely."""
    import warnings
    from pathlib import Path

    p = Path(path)
    if not p.is_file():
        raise BoxOfficeError("not_found", _("image {path} does not exist").format(path=p))
    try:
        import zxingcpp
        from PIL import Image
    except ImportError:
        raise BoxOfficeError("bad_input", _("reading QR images needs the zxing-cpp package: pip install zxing-cpp")) \
            from None
    size = p.stat().st_size
    if size > MAX_IMAGE_BYTES:
        raise BoxOfficeError("bad_input", _("{path} is {size} MB: an image of a ticket is at most "
                                            "{max} MB; take a smaller photo").format(
            path=p, size=size // 2**20, max=MAX_IMAGE_BYTES // 2**20))
    too_big = _("an image of a ticket is at most {max} million pixels; take a smaller photo").format(
        max=MAX_IMAGE_PIXELS // 10**6)
    try:
        with warnings.catch_warnings():  # Pillow's own bomb warning: the check below says it in one line
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(p)  # reads the header only: the size is known before a single pixel is decoded
        width, height = img.size
        if width * height > MAX_IMAGE_PIXELS:
            img.close()
            raise BoxOfficeError("bad_input", _("{path} is {width} x {height} pixels: {too_big}").format(
                path=p, width=width, height=height, too_big=too_big))
        img.load()
    except BoxOfficeError:
        raise
    except Image.DecompressionBombError:
        raise BoxOfficeError("bad_input", _("{path} has far too many pixels: {too_big}").format(
            path=p, too_big=too_big)) from None
    except Exception as exc:  # noqa: BLE001 - Pillow's decoders raise many kinds (SyntaxError for a broken PNG)
        raise BoxOfficeError("bad_input", _("{path} is not a readable image: {error}").format(
            path=p, error=exc)) from None
    try:
        found = [r.text for r in zxingcpp.read_barcodes(img) if r.text]
    except (TypeError, ValueError):
        # A pixel mode the QR reader does not take (LAB...): in grey, or not a photo of a ticket.
        try:
            found = [r.text for r in zxingcpp.read_barcodes(img.convert("L")) if r.text]
        except (TypeError, ValueError) as exc:
            raise BoxOfficeError("bad_input", _("{path} is not an image a QR code can be read from ({mode}): "
                                                "{error}").format(path=p, mode=img.mode, error=exc)) from None
    if not found:
        raise BoxOfficeError("malformed_token", _("no QR code found in {path}: try a sharper, flatter photo").format(
            path=p))
    return found
