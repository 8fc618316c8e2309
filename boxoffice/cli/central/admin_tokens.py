"""`boxoffice central admin-token list | new | revoke`: the tokens of the central service's HTTP admin endpoints."""

from __future__ import annotations

import typer

from boxoffice.cli.app import sub_app
from boxoffice.cli.central.common import DB_HELP, central_db
from boxoffice.cli.common import JSON_HELP, clock, echo, emit_json, table
from boxoffice.i18n import _

central_admin_token_app = sub_app(_("Tokens of the HTTP admin endpoints (/v1/admin/*): list them, make one, revoke "
                                    "one."))


@central_admin_token_app.command("list")
def list_tokens(
    db: str = typer.Option(None, "--db", help=_(DB_HELP)),
    json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP)),
) -> None:
    """List admin tokens: id, first characters, name, made, revoked. Never the token itself (only its hash is kept).

    Example: boxoffice central admin-token list
    """
    from boxoffice.central.services.admin import venue_timezone
    from boxoffice.central.services.admin_tokens import listing
    from boxoffice.domain.clock import when_text

    found = listing(central_db(db))
    if json_out:
        emit_json(found)
        return
    if not found:
        echo(_("No admin token: `boxoffice central admin-token new` makes one."))
        return
    tz = venue_timezone(central_db(db))
    echo(table([(r["id"], f"{r['prefix']}..." if r["prefix"] else _("(older)"), r["name"] or "",
                       when_text(r["created_at"], tz),
                       _("REVOKED {when}").format(when=when_text(r["revoked_at"], tz)) if r["revoked_at"]
                       else _("live")) for r in found],
                     [_("id"), _("starts"), _("name"), _("made"), _("status")]))


@central_admin_token_app.command("new")
def new_token(
    name: str = typer.Option(None, "--name", help=_("What it is for, e.g. 'reports laptop' (listed beside it).")),
    db: str = typer.Option(None, "--db", help=_(DB_HELP)),
    json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP)),
) -> None:
    """Make an admin token for /v1/admin/*, printed this once. Keep it as you would the database password.

    Example: boxoffice central admin-token new --name "reports laptop"
    """
    from boxoffice.central.services.admin_tokens import issue

    out = issue(central_db(db), name, clock())
    if json_out:
        emit_json(out)
        return
    echo(_("Admin token {id} (shown once, keep it safe): {token}").format(id=out["id"], token=out["token"]))


@central_admin_token_app.command("revoke")
def revoke_token(
    which: str = typer.Argument(..., help=_("The token's id from `admin-token list` (or its first 4+ characters).")),
    force: bool = typer.Option(False, "--force", help=_("Revoke it even if it is the last live admin token.")),
    db: str = typer.Option(None, "--db", help=_(DB_HELP)),
    json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP)),
) -> None:
    """Revoke an admin token: its next request to /v1/admin/* is refused (401), on every service process.

    The last live one is kept unless --force: make a new one first. Naming a leaked token by the token itself works
    too (it is never printed back).
    Example: boxoffice central admin-token revoke 3f9a0c21b7de
    """
    from boxoffice.central.services.admin_tokens import revoke

    out = revoke(central_db(db), which, force=force, clock=clock())
    if json_out:
        emit_json(out)
        return
    if out["already_revoked"]:
        echo(_("Admin token {id} was revoked already.").format(id=out["id"]))
        return
    said = (_("Revoked admin token {id}: it no longer opens /v1/admin/*. {left} live admin token(s) left.")
            if out["live_left"] else
            _("Revoked admin token {id}: it no longer opens /v1/admin/*. {left} live admin token(s) left; make one "
              "with `boxoffice central admin-token new`."))
    echo(said.format(id=out["id"], left=out["live_left"]))
