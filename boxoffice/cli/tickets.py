"""`boxoffice ticket verify`: check a ticket's QR token offline."""

from __future__ import annotations

from pathlib import Path

import typer

from boxoffice.cli.app import sub_app
from boxoffice.cli.common import (
    JSON_HELP,
    TOKEN_ARGUMENT,
    echo,
    emit_json,
    secho,
    terminal,
)

ticket_app = sub_app("Check a ticket's QR token offline.")


@ticket_app.command("verify", context_settings=TOKEN_ARGUMENT)
def verify(token: str = typer.Argument(None, help="The token text (quote it: it may hold spaces)."),
           image: Path = typer.Option(None, "--image", help="Read the QR from an image file instead."),
           json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Say whether a ticket is genuine and what it admits; a changed byte, unknown key or revoked ticket is refused.

    Exit status 6 for a refused ticket. Examples:
      boxoffice ticket verify 'NCF8...'
      boxoffice ticket verify --image photo.png
    """
    from boxoffice.errors import BoxOfficeError
    from boxoffice.services.tickets import decode_image
    from boxoffice.services.tickets import verify as do_verify

    if (token is None) == (image is None):
        raise BoxOfficeError("bad_input", "give a token or --image FILE")
    with terminal() as ctx:
        text = decode_image(str(image))[0] if image else token
        out = do_verify(ctx, text)
    if json_out:
        emit_json(out)
        return
    place = f"row {out['row']} seat {out['seat']}" if out["row"] else "standing"
    secho(f"VALID  {out['event'] or 'unknown event'}  {out['section'] or ''}  {place}", fg="green", bold=True)
    if out["starts"]:
        echo(f"  {out['starts']}; ticket {out['claims']['ticket_id']}")
