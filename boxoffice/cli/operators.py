"""`boxoffice operator ...`, `login`, `logout`, `whoami`."""

from __future__ import annotations

import typer

from boxoffice.cli.app import sub_app
from boxoffice.cli.common import JSON_HELP, ask_pin, echo, emit_json, table, terminal
from boxoffice.i18n import _

operator_app = sub_app(_("Manage the people who use this terminal and their roles."))


@operator_app.command("add")
def add(
    name: str = typer.Argument(..., help=_("The operator's name, as they log in.")),
    role: str = typer.Option(..., "--role", "-r", help=_("seller, pickup, door, supervisor or admin.")),
    language: str = typer.Option(None, "--language", "-l", help=_("The language their screen speaks: en or "
                                                                    "zh_CN (default: the venue's).")),
    json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP)),
) -> None:
    """Add an operator; the PIN (4-12 digits) is asked twice and stored only as a scrypt hash.

    The first operator of a new terminal must be an admin and needs no login; after that an admin adds people.
    With --language their screen speaks that language while they are logged in; receipts keep the venue's.
    Examples: boxoffice operator add Sam --role seller
    boxoffice operator add 李小明 --role pickup --language zh_CN
    """
    from boxoffice.services.operators import add_operator, check_language, check_new_operator

    with terminal() as ctx:
        check_new_operator(ctx, name, role)
        check_language(language)
        op = add_operator(ctx, name, role, ask_pin(_("PIN for {name}").format(name=name.strip()), confirm=True),
                          language)
    if json_out:
        emit_json(op)
    else:
        echo(_("Added {name} ({role}).").format(name=op["name"], role=op["role"]))


@operator_app.command("list")
def list_(json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """List operators with role and state.

    Example: boxoffice operator list
    """
    from boxoffice.services.operators import list_operators

    with terminal() as ctx:
        ops = list_operators(ctx)
    if json_out:
        emit_json(ops)
        return
    echo(table([(o["name"], o["role"], _("disabled") if o["disabled"] else _("active"), o["locked_until"] or "",
                 o["language"] or _("venue's")) for o in ops],
               [_("name"), _("role"), _("state"), _("locked until"), _("language")]))


@operator_app.command("language")
def language_(name: str = typer.Argument(..., help=_("Operator name.")),
              language: str = typer.Argument(..., help=_("en, zh_CN, or - for the venue's language.")),
              json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Set the language an operator's screen speaks while they are logged in. Anyone may set their own; an admin
    sets anyone's. Receipts and tickets keep the venue's language.

    Examples: boxoffice operator language sam zh_CN
    boxoffice operator language sam -
    """
    from boxoffice.services.operators import set_language

    with terminal() as ctx:
        op = set_language(ctx, name, language)
    if json_out:
        emit_json(op)
    else:
        echo(_("{name}'s screen speaks {language}.").format(
            name=op["name"], language=op["language"] or _("the venue's language")))


@operator_app.command("disable")
def disable(name: str = typer.Argument(..., help=_("Operator name.")),
            json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Stop an operator logging in (their history stays). Needs an admin.

    Example: boxoffice operator disable Sam
    """
    from boxoffice.services.operators import set_disabled

    with terminal() as ctx:
        op = set_disabled(ctx, name, True)
    emit_json(op) if json_out else echo(_("{name} is disabled.").format(name=op["name"]))


@operator_app.command("enable")
def enable(name: str = typer.Argument(..., help=_("Operator name.")),
           json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Let a disabled operator log in again. Needs an admin.

    Example: boxoffice operator enable Sam
    """
    from boxoffice.services.operators import set_disabled

    with terminal() as ctx:
        op = set_disabled(ctx, name, False)
    emit_json(op) if json_out else echo(_("{name} is enabled.").format(name=op["name"]))


def login(name: str = typer.Argument(..., help=_("Operator name.")),
          json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Log in at this terminal (PIN asked). Five wrong PINs in a row lock the operator for a while.

    Example: boxoffice login Sam
    """
    from boxoffice.services.operators import login as do_login

    with terminal() as ctx:
        op = do_login(ctx, name, ask_pin())
    emit_json(op) if json_out else echo(_("{name} ({role}) is logged in.").format(name=op["name"], role=op["role"]))


def logout(json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Log the current operator out.

    Example: boxoffice logout
    """
    from boxoffice.services.operators import logout as do_logout

    with terminal() as ctx:
        op = do_logout(ctx)
    if json_out:
        emit_json({"logged_out": op})
    else:
        echo(_("{name} logged out.").format(name=op["name"]) if op else _("Nobody was logged in."))


def whoami(json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Say who is logged in at this terminal.

    Example: boxoffice whoami
    """
    from boxoffice.services.operators import whoami as who

    with terminal() as ctx:
        op = who(ctx)
    if json_out:
        emit_json({"operator": op})
    else:
        echo(f"{op['name']} ({op['role']})" if op else _("Nobody is logged in: `boxoffice login NAME`."))


@operator_app.command("unlock")
def unlock(name: str = typer.Argument(..., help=_("Operator name.")),
           supervisor: str = typer.Option(None, "--supervisor", help=_("Supervisor or admin approving (PIN asked), "
                                                                       "when the one logged in is neither.")),
           json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """End an operator's lockout now and forget their wrong PINs. Needs a supervisor or admin; journaled.

    Locks also end by themselves after lock_minutes. With nobody (or a seller) logged in, name who approves.
    Example: boxoffice operator unlock sam --supervisor sue
    """
    from boxoffice.services.operators import check_unlock
    from boxoffice.services.operators import unlock as do_unlock

    with terminal() as ctx:
        plan = check_unlock(ctx, name, supervisor)  # before any PIN: who exists, who may approve
        sup = (supervisor, ask_pin(_("PIN for {name}").format(name=supervisor))) if plan["needs_supervisor"] else None
        op = do_unlock(ctx, name, sup)
    emit_json(op) if json_out else echo(_("{name} is unlocked (approved by {approver}).").format(
        name=op["name"], approver=op["approved_by"]))


@operator_app.command("reset-pin")
def reset_pin(name: str = typer.Argument(..., help=_("Operator name.")),
              supervisor: str = typer.Option(None, "--supervisor", help=_("Supervisor or admin approving (PIN "
                                                                          "asked), when the one logged in is "
                                                                          "neither.")),
              pin_stdin: bool = typer.Option(False, "--pin-stdin", help=_("Read the new PIN as one line from stdin "
                                                                          "(scripts), not asked twice.")),
              json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Give an operator a new PIN (asked twice) and end any lockout. Needs a supervisor; an admin's needs an admin.

    Supervisors and admins need 6 to 12 digits, others 4 to 12. Journaled, without the PIN.
    Example: boxoffice operator reset-pin Sam
    """
    import sys

    from boxoffice.errors import BoxOfficeError
    from boxoffice.services.operators import check_reset_pin
    from boxoffice.services.operators import reset_pin as do_reset

    with terminal() as ctx:
        plan = check_reset_pin(ctx, name, supervisor)  # before any PIN: who exists, who may approve
        sup = (supervisor, ask_pin(_("PIN for {name}").format(name=supervisor))) if plan["needs_supervisor"] else None
        if pin_stdin:
            line = sys.stdin.readline() if sys.stdin is not None else ""
            if not line.strip():
                raise BoxOfficeError("bad_input", _("--pin-stdin: no PIN on stdin: nothing was changed"))
            new_pin = line.strip()
        else:
            new_pin = ask_pin(_("New PIN for {name}").format(name=name.strip()), confirm=True)
        op = do_reset(ctx, name, new_pin, sup)
    emit_json(op) if json_out else echo(_("{name} has a new PIN (approved by {approver}).").format(
        name=op["name"], approver=op["approved_by"]))
