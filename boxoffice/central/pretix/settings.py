"""Where the venue's pretix is and how the bridge may talk to it: URL, organizer, events and the API token.

The token is a secret that can sell and refund in the venue's shop: it is read from a file that only its owner may
read (0600) or from ``BOXOFFICE_PRETIX_TOKEN``, never taken from the command line (where `ps` shows it to every
user), and never printed: ``repr`` hides it.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _

TOKEN_ENV = "BOXOFFICE_PRETIX_TOKEN"
SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,49}$")
TOKEN = re.compile(r"^[A-Za-z0-9._~+/=-]{16,200}$")
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@dataclass(frozen=True)
class PretixSettings:
    """One pretix organizer and the events of it that the venue's terminals work with."""

    url: str
    organizer: str
    events: tuple[str, ...]
    token: str = field(repr=False)
    pickup_list: str = "boxoffice pickup"

    @property
    def api(self) -> str:
        """The organizer's API root, ending in a slash."""
        return f"{self.url}/api/v1/organizers/{self.organizer}/"


def load(url: str, organizer: str, events: list[str] | tuple[str, ...], *, token_file: str | None = None,
         env: dict[str, str] | None = None) -> PretixSettings:
    """Check every part before anything is sent: a URL that is https (or http on loopback), slugs pretix could
    have made, and a token from a private file or the environment."""
    env = dict(os.environ) if env is None else env
    url = (url or "").strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise BoxOfficeError("bad_config", _("the pretix URL must look like https://pretix.example.org, not {url!r}")
                             .format(url=url[:80]))
    if parts.scheme == "http" and parts.hostname not in LOOPBACK:
        raise BoxOfficeError("insecure_url", _("pretix at {host} over plain http would send the API token in the "
                                               "clear: use https").format(host=parts.hostname))
    for slug in (organizer, *events):
        if not SLUG.match(slug or ""):
            raise BoxOfficeError("bad_config", _("{slug!r} is not a pretix organizer or event short form")
                                 .format(slug=(slug or "")[:60]))
    if not events:
        raise BoxOfficeError("bad_config", _("name at least one pretix event (--pretix-event SLUG)"))
    token = _token(token_file, env)
    return PretixSettings(url=url, organizer=organizer, events=tuple(dict.fromkeys(events)), token=token)


def _token(token_file: str | None, env: dict[str, str]) -> str:
    """The API token: from the file (which must be 0600 or stricter) or the environment."""
    if token_file:
        path = Path(token_file)
        try:
            st = path.stat()
            if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
                raise BoxOfficeError("unsafe_file", _("{path} holds the pretix API token but other users can read "
                                                      "it: chmod 600 {path}").format(path=path))
            text = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise BoxOfficeError("bad_config", _("cannot read the pretix token file {path}: {reason}").format(
                path=path, reason=exc.strerror or type(exc).__name__)) from None
    else:
        text = env.get(TOKEN_ENV, "").strip()
        if not text:
            raise BoxOfficeError("bad_config", _("no pretix API token: give --pretix-token-file FILE (0600) or set "
                                                 "{env}").format(env=TOKEN_ENV))
    if not TOKEN.match(text):
        raise BoxOfficeError("bad_config", _("the pretix API token is malformed (one line of letters and digits)"))
    return text
