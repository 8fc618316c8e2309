"""Configuration in force for this terminal, and where each value came from.

One file is read: the first of ``--config``, ``BOXOFFICE_CONFIG``, ``./boxoffice.toml``, then the user config dir.
The database path has its own order: ``--db``, ``BOXOFFICE_DB``, the file's ``db``, then the user data dir.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from boxoffice.config_toml import parse_toml, toml_error
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _

APP = "boxoffice"

DEFAULTS: dict[str, Any] = {
    "venue_name": "",
    "timezone": "",
    "currency": "",
    "printer": "",                  # a printer URI; empty: tickets go to PDF files beside the database
    "printer_profile": "TM-T88V",
    "printer_qr": "auto",           # auto: the printer's QR command where the profile has one; image: always an image
    "printer_chinese": "image",     # image: Chinese lines as images; gb18030: as text (a printer with a Chinese font)
    "ticket_stock": "ticket",       # PDF layout: ticket (one per page) or a4
    "drawer_on_cash": True,
    "central_url": "",
    "require_shift": False,
    "refund_supervisor_above": "100.00",
    "lock_after_failures": 5,
    "lock_minutes": 5,
    "session_hours": 12,
    "exchange_between_events": "as_refund",  # or "free": moving tickets to another night needs no supervisor
    "hold_minutes": 5,              # how long seats in a counter basket stay held (services/seat_holds.py)
    "alerts": {},                   # alert thresholds over the defaults (see `boxoffice alerts --help`)
    "allocation": {},               # top_up_below, top_up_to: when and how far sync tops the allocation up
    "privacy": {},                  # keep_days: how long after an event its customers' data may be kept
    "venue": {},                    # language: the venue's language (receipts, tickets, the screen's default)
    "db": "",
}

DESCRIPTIONS = {
    "venue_name": N_("venue name printed on receipts (else the catalogue's)"),
    "timezone": N_("venue time zone for display (else the catalogue's)"),
    "currency": N_("currency (else the catalogue's)"),
    "printer": N_("printer URI: tcp://HOST:9100, usb://VID:PID, serial:///dev/ttyUSB0, file:///path, cups://NAME, "
                  "pdf:///dir"),
    "printer_profile": N_("escpos-printer-db profile name (paper width, cutter, QR support)"),
    "printer_qr": N_("'auto' (the printer draws the QR where its profile has a QR command) or 'image' (always an "
                     "image)"),
    "printer_chinese": N_("'image' (Chinese lines drawn as images, any printer) or 'gb18030' (sent as text in the "
                          "printer's Chinese mode: a printer with a Chinese font)"),
    "ticket_stock": N_("PDF tickets: 'ticket' (one per page) or 'a4' (several per page)"),
    "drawer_on_cash": N_("open the cash drawer after a cash sale"),
    "central_url": N_("the central service enrolled with (a check: sync refuses another URL until an admin enrolls "
                      "again)"),
    "require_shift": N_("refuse sales until the operator opens a shift"),
    "refund_supervisor_above": N_("refunds above this amount need a supervisor's PIN"),
    "lock_after_failures": N_("wrong PINs in a row before an operator is locked"),
    "lock_minutes": N_("how long a locked operator waits"),
    "session_hours": N_("a login lasts this long without use"),
    "exchange_between_events": N_("'as_refund' (moving tickets to another event is judged as a refund under the "
                                  "old event's policy: a supervisor where it would keep a fee) or 'free' (a move to "
                                  "another event at the same price or dearer needs no supervisor before the old "
                                  "event starts)"),
    "hold_minutes": N_("how long seats put in a basket at the counter stay held for it (1 to 60, default 5)"),
    "alerts": N_("alert thresholds: sales_change_percent, refunds_over_percent, refused_scans, failed_prints, ..."),
    "allocation": N_("top-up at sync: top_up_below (ask when fewer unsold places are held per section; 0: never, "
                  "default 10), top_up_to (ask for enough to hold this many; default 50)"),
    "privacy": N_("keep_days: days after an event starts before `privacy purge` may erase its customers' names, "
               "e-mails and phones (1 to 3650, default 30)"),
    "venue": N_("language: the venue's language, 'en' or 'zh_CN': receipts, tickets and PDFs, and the screen unless "
             "BOXOFFICE_LANG or the operator's own language says otherwise (else the system's LANG)"),
    "db": N_("terminal database path"),
}


# Security and money settings: they decide who is locked out and for how long, how long a login lasts, whether a
# sale needs an open shift and which refunds need a supervisor. Whoever can point --config at a file of their own
# must not be able to change them, so a local file's value is ignored (with a warning: refusing the whole file
# would stop a counter over a line an old installation left behind) and they come from the catalogue the venue
# publishes (its "policy", services/policy.py) or, without one, the defaults.
SECURITY_KEYS = ("require_shift", "refund_supervisor_above", "lock_after_failures", "lock_minutes", "session_hours",
                 "exchange_between_events")


def user_config_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir(APP))


def user_data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir(APP))


class Config:
    """Values in force plus, for each, the place it came from ('default', a file path, an env var, an option).

    A plain class rather than a dataclass: every command makes one, and @dataclass compiles its generated methods
    at every start of a process.
    """

    values: dict[str, Any]
    sources: dict[str, str]
    file: Path | None
    ignored: list[str]  # security settings the file set, not applied (SECURITY_KEYS)

    def __init__(self, values: dict[str, Any] | None = None, sources: dict[str, str] | None = None,
                 file: Path | None = None, ignored: list[str] | None = None) -> None:
        self.values = dict(DEFAULTS) if values is None else values
        self.sources = dict.fromkeys(DEFAULTS, "default") if sources is None else sources
        self.file = file
        self.ignored = [] if ignored is None else ignored

    def __repr__(self) -> str:
        return f"Config(values={self.values!r}, sources={self.sources!r}, file={self.file!r}, ignored={self.ignored!r})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self.__dict__ == other.__dict__
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # as the dataclass it was: mutable, compared by value

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["values"][name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def db_path(self) -> Path:
        return Path(self.values["db"])

    @property
    def venue_language(self) -> str | None:
        """The venue's language ([venue] language), or None when the file does not name one."""
        return self.__dict__["values"]["venue"].get("language")

    @property
    def key_path(self) -> Path:
        """The terminal's private key lives beside its database."""
        return self.db_path.with_suffix(".key")


def _find_file(explicit: str | None) -> tuple[Path | None, str]:
    if explicit:
        p = Path(explicit)
        if not p.exists():
            raise BoxOfficeError("not_found", _("config file {path} does not exist").format(path=p))
        return p, "--config"
    env = os.environ.get("BOXOFFICE_CONFIG")
    if env:
        p = Path(env)
        if not p.exists():
            raise BoxOfficeError("not_found",
                _("config file {path} (from BOXOFFICE_CONFIG) does not exist").format(path=p))
        return p, "BOXOFFICE_CONFIG"
    local = Path("boxoffice.toml")
    if local.exists():
        return local, "./boxoffice.toml"
    user = user_config_dir() / "boxoffice.toml"
    if user.exists():
        return user, "user config dir"
    return None, ""


ALLOCATION_KEYS = ("top_up_below", "top_up_to")
TICKET_STOCKS = ("ticket", "a4")  # the PDF layouts (printing/pdf_render.py's Stock)


def _check_allocation(path: Path, value: dict[str, Any]) -> None:
    """``[allocation]``: whole numbers, 0 to 10000, and top_up_to at least top_up_below."""
    for k, v in value.items():
        if k not in ALLOCATION_KEYS:
            raise BoxOfficeError("bad_config",
                _("config file {path}: unknown setting allocation.{key} (known: {known})").format(
                path=path, key=k, known=", ".join(ALLOCATION_KEYS)))
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 10_000:
            raise BoxOfficeError("bad_config", _("config file {path}: allocation.{key} must be a whole number, 0 to "
                                                 "10000").format(
                path=path, key=k))
    if value.get("top_up_to", 50) < value.get("top_up_below", 10):
        raise BoxOfficeError("bad_config",
            _("config file {path}: allocation.top_up_to must be at least top_up_below").format(
            path=path))


def _check_venue(path: Path, value: dict[str, Any]) -> None:
    """``[venue]``: language, one of the languages the program ships a catalogue for."""
    from boxoffice.i18n import check_language

    for k, v in value.items():
        if k != "language":
            raise BoxOfficeError("bad_config",
                _("config file {path}: unknown setting venue.{key} (known: language)").format(
                path=path, key=k))
        try:
            value[k] = check_language(v if isinstance(v, str) else "")
        except ValueError as exc:
            raise BoxOfficeError("bad_config", _("config file {path}: venue.{problem}").format(
                path=path, problem=exc)) from None


def _check_privacy(path: Path, value: dict[str, Any]) -> None:
    """``[privacy]``: keep_days, a whole number of days from 1 to 3650."""
    from boxoffice.domain.privacy import check_keep_days

    for k, v in value.items():
        if k != "keep_days":
            raise BoxOfficeError("bad_config",
                _("config file {path}: unknown setting privacy.{key} (known: keep_days)").format(
                path=path, key=k))
        try:
            check_keep_days(v)
        except ValueError as exc:
            raise BoxOfficeError("bad_config", _("config file {path}: privacy.{problem}").format(
                path=path, problem=exc)) from None


def _whole(low: int, high: int) -> Any:
    def check(v: Any) -> str | None:
        ok = isinstance(v, int) and not isinstance(v, bool) and low <= v <= high
        return None if ok else _("must be a whole number, {low} to {high}").format(low=low, high=high)
    return check


def _number(low: float, high: float) -> Any:
    def check(v: Any) -> str | None:
        ok = isinstance(v, int | float) and not isinstance(v, bool) and low < v <= high
        return None if ok else _("must be a number above {low:g}, at most {high:g}").format(low=low, high=high)
    return check


def _text(v: Any) -> str | None:
    return None if isinstance(v, str) and len(v) <= 500 and v.isprintable() else _("must be text on one line")


def _amount(v: Any) -> str | None:
    from boxoffice.domain.money import parse_amount

    if isinstance(v, bool) or not isinstance(v, str | int):
        return _('must be an amount in quotes, like "100.00"')
    try:
        parse_amount(v, "XXX")
    except BoxOfficeError:
        return _('must be an amount in quotes, like "100.00"')
    return None


def _one_of(*allowed: str) -> Any:
    def check(v: Any) -> str | None:
        return None if v in allowed else _("must be one of {choices}").format(choices=", ".join(allowed))
    return check


def _zone(v: Any) -> str | None:
    if _text(v) or not v:
        return _text(v)
    from boxoffice.domain.clock import zone

    try:
        zone(v)
    except BoxOfficeError:
        return _("must be an IANA time zone like Europe/London")
    return None


def _currency(v: Any) -> str | None:
    ok = isinstance(v, str) and (v == "" or (len(v) == 3 and v.isascii() and v.isupper() and v.isalpha()))
    return None if ok else _("must be a three-letter currency code like GBP")


def _printer(v: Any) -> str | None:
    if _text(v) or not v:
        return _text(v)
    from boxoffice.printing.uri import parse_printer_uri

    try:
        parse_printer_uri(v)
    except BoxOfficeError as exc:
        return exc.message
    return None


def _url(v: Any) -> str | None:
    if _text(v) or not v:
        return _text(v)
    return None if v.startswith(("http://", "https://")) else _("must be an http:// or https:// URL")


# Each setting's check: None when the value is right, else what it must be. One line, naming the key, is the error.
CHECKS: dict[str, Any] = {
    "venue_name": _text, "timezone": _zone, "currency": _currency, "printer": _printer, "printer_profile": _text,
    "printer_qr": _one_of("auto", "image"), "printer_chinese": _one_of("image", "gb18030"),
    "ticket_stock": _one_of("ticket", "a4"), "central_url": _url, "refund_supervisor_above": _amount,
    "lock_after_failures": _whole(1, 100), "lock_minutes": _whole(1, 24 * 60), "session_hours": _number(0, 24 * 7),
    "hold_minutes": _whole(1, 60), "db": _text, "exchange_between_events": _one_of("as_refund", "free"),
}


def check_value(key: str, value: Any, where: str) -> None:
    """Refuse a setting's value with ``bad_config``: one line naming where it came from, the key and the rule."""
    check = CHECKS.get(key)
    problem = check(value) if check else None
    if problem:
        raise BoxOfficeError("bad_config", _("{where}: {key} {problem}").format(where=where, key=key, problem=problem))


def load(config_path: str | None = None, db: str | None = None) -> Config:
    """Build the configuration in force from the file, the environment and the options given."""
    cfg = Config()
    path, how = _find_file(config_path)
    if path is not None:
        try:
            data = parse_toml(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            if not isinstance(exc, UnicodeDecodeError | toml_error()):  # tomllib's TOMLDecodeError, a ValueError
                raise
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise BoxOfficeError("bad_config", _("config file {path} is not valid TOML: {message}").format(
                path=path, message=message)) from None
        data = data.get("boxoffice", data)
        if not isinstance(data, dict):
            raise BoxOfficeError("bad_config", _("config file {path}: [boxoffice] must be a table of settings").format(
                path=path))
        for key, value in data.items():
            if key not in DEFAULTS:
                raise BoxOfficeError("bad_config", _("config file {path}: unknown setting {key!r}").format(
                    path=path, key=key[:60]))
            if isinstance(DEFAULTS[key], bool) and not isinstance(value, bool):
                raise BoxOfficeError("bad_config", _("config file {path}: {key} must be true or false").format(
                    path=path, key=key))
            if key == "venue":
                if not isinstance(value, dict):
                    raise BoxOfficeError("bad_config",
                        _("config file {path}: [venue] must be a table of settings").format(
                        path=path))
                _check_venue(path, value)
            elif isinstance(DEFAULTS[key], dict) and not (
                    isinstance(value, dict) and all(isinstance(v, int | float) and not isinstance(v, bool)
                                                    for v in value.values())):
                raise BoxOfficeError("bad_config", _("config file {path}: [{key}] must be a table of numbers").format(
                    path=path, key=key))
            if key == "allocation":
                _check_allocation(path, value)
            if key == "privacy":
                _check_privacy(path, value)
            if key == "ticket_stock" and value not in TICKET_STOCKS:  # else every sale's tickets fail to print
                raise BoxOfficeError("bad_config",
                                     _("config file {path}: ticket_stock is 'ticket' or 'a4', not {value!r}").format(
                                         path=path, value=value))
            check_value(key, value, _("config file {path}").format(path=path))
            if key in SECURITY_KEYS:
                cfg.ignored.append(key)
                continue
            cfg.values[key] = value
            cfg.sources[key] = f"{path} ({how})"
        cfg.file = path
        if cfg.values["db"] and not Path(cfg.values["db"]).is_absolute():
            cfg.values["db"] = str((path.parent / cfg.values["db"]).resolve())
    if db:
        cfg.values["db"], cfg.sources["db"] = db, "--db"
    elif os.environ.get("BOXOFFICE_DB"):
        cfg.values["db"], cfg.sources["db"] = os.environ["BOXOFFICE_DB"], "BOXOFFICE_DB"
    elif not cfg.values["db"]:
        cfg.values["db"], cfg.sources["db"] = str(user_data_dir() / "terminal.db"), "user data dir"
    for key in ("printer", "central_url"):
        env = os.environ.get(f"BOXOFFICE_{key.upper()}")
        if env:
            check_value(key, env, f"BOXOFFICE_{key.upper()}")
            cfg.values[key], cfg.sources[key] = env, f"BOXOFFICE_{key.upper()}"
    return cfg
