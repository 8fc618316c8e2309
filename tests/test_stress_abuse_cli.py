"""Abuse through the command line: every argument a person types (amounts, card references, type counts, seat lists,
codes, ids, dates, counts, reasons) filled with generated and hostile values; SQL-looking, control-character and
10 MB names; bytes that are not UTF-8; forged, altered and replayed tickets at the door.

Each answer is clean (a documented exit status, one line saying what is wrong, no traceback, never 'internal
error' 70) and a refusal changes nothing: the database reads the same, table by table, before and after.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pickup_fixtures import Central, setup_desk, standard_orders
from stress_helpers import ABUSE_SCALE, boxoffice_command, changed_tables, fingerprint, refusal_problem

# Values a person (or a script gone wrong) might type anywhere: numbers in every spelling, dates that are not,
# injections of every kind, control characters, very long text.
NASTY = [
    "", " ", "-", "--", "--json", "-1", "0", "00", "007", "1e3", "1e309", "1e10000000", "33e727722", "1e-3",
    "4242:1e999999", "nan", "inf", "-inf", "0x1F", "1_000",
    "1,50", "12.345", "12.", ".5", "٣", "１２", "²", "9" * 40, "-0.00", "1/0", "%s", "%n", "{0}", "{}", "$(id)",
    "`id`", "; rm -rf /", "Robert'); DROP TABLE orders;--", "' OR '1'='1", "\"", "\\", "a\x00b", "\x00",
    "\x1b[31mred\x1b[0m", "\x7f", "\u202e", "\ufeff", "\u0085", "\u2028", "A" * 5000, "../../etc/passwd", "NUL",
    "\udcff", "caf\udcc3", "\ud800",
    "adult=2", "adult=-1", "adult=0", "adult=99999999999999999999", "=", "adult==2", "adult=2=2", "ADULT=1",
    " adult = 1 ", "adult=1,child=1", "A1,A1", "A1,,A2", ",", "Z999", "a12", "A12-A13", "4242", "4242:-5",
    "4242:1e9", "4242:0", "4242:", ":5", "4242424242424242", "4111 1111 1111 1111", "2026-13-45", "2026-02-30",
    "24:00", "9999-12-31T23:59:59", "0000-01-01", "2026-12-01T10:00+25:00", "yesterday", "2026-12-01",
    "2026-12-01T18:00", "2026-12-01T18:00:00Z", "stalls", "standing", "gala", "G6K2-2236", "g6k2 2236",
]
VALUES = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=24),
    st.text(alphabet="0123456789.,-+e =:adult", max_size=12),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.from_regex(r"[A-Z][0-9]{1,2}(,[A-Z][0-9]{1,2}){0,3}", fullmatch=True),
)
SETTINGS = settings(max_examples=25 * ABUSE_SCALE, deadline=None, derandomize=ABUSE_SCALE == 1, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


class Desk:
    """A standard terminal with a sale, web orders to hand out and a printer that is a file."""

    def __init__(self, terminal: Any, cli: Callable[..., Any], tmp_path: Path, demo_events: tuple[str, str]) -> None:
        self.ctx, self._cli, self.gala, self.jazz = terminal, cli, *demo_events
        self.env = {"BOXOFFICE_PRINTER": f"file://{tmp_path / 'printer.bin'}", "BOXOFFICE_PIN": "123456"}
        central = Central.make()
        setup_desk(terminal, central, standard_orders(central, self.gala, self.jazz))
        sold = self.cli("sell", self.gala, "-s", "stalls", "-t", "adult=2", "--card", "4242", "--json")
        assert sold.exit_code == 0, sold.output
        self.code = sold.json()["order"]
        self.tokens = [t["token"] for t in sold.json()["tickets"]]
        self.web = [r[0] for r in terminal.conn.execute("SELECT code FROM orders WHERE channel = 'web'")]
        assert self.cli("pickup", "find", "smith").exit_code == 0  # the search index is made on first use
        self._watch = sqlite3.connect(self.db)
        self._seen: tuple[int, dict[str, str]] = (-1, {})

    @property
    def db(self) -> Path:
        return self.ctx.config.db_path

    def cli(self, *args: str, input: str | None = None, env: dict[str, str] | None = None) -> Any:
        return self._cli(*args, db=self.ctx, env={**self.env, **(env or {})}, input=input)

    def attempt(self, *args: str, input: str | None = None, env: dict[str, str] | None = None,
                may_change: tuple[str, ...] = ()) -> Any:
        """Run a command; its answer must be clean, and a refusal must leave every table as it was.

        SQLite's data_version tells whether anything was committed meanwhile, so the tables are read (and compared
        with how they were) only when something was.
        """
        version = self._watch.execute("PRAGMA data_version").fetchone()[0]
        if self._seen[0] != version:
            self._seen = (version, fingerprint(self.db))
        r = self.cli(*args, input=input, env=env)
        problem = refusal_problem(r.exit_code, r.stdout, r.stderr, "--json" in args)
        assert problem is None, (args, problem, r.stdout[-500:], r.stderr[-500:], repr(r.exception))
        if self._watch.execute("PRAGMA data_version").fetchone()[0] != version and r.exit_code not in (0, 7):
            changed = [t for t in changed_tables(self._seen[1], fingerprint(self.db)) if t not in may_change]
            assert changed == [], (args, r.exit_code, "refused but changed", changed)
        return r


@pytest.fixture
def desk(terminal, cli, tmp_path, demo_events) -> Iterator[Desk]:  # noqa: ANN001
    d = Desk(terminal, cli, tmp_path, demo_events)
    yield d
    d._watch.close()


# One slot of one command takes the generated value; the rest is a command that would work.
CASES: dict[str, Callable[[Desk, str], list[str]]] = {
    "sell --cash": lambda d, v: ["sell", d.gala, "-s", "standing", "-t", "adult=1", "--cash", v],
    "sell --card": lambda d, v: ["sell", d.gala, "-s", "standing", "-t", "adult=1", "--card", v, "--json"],
    "sell --card split": lambda d, v: ["sell", d.gala, "-s", "standing", "-t", "adult=2", "--card", v,
                                       "--cash", "10"],
    "sell --type": lambda d, v: ["sell", d.gala, "-s", "standing", "-t", v, "--card", "4242"],
    "sell --type twice": lambda d, v: ["sell", d.gala, "-s", "stalls", "-t", "adult=1", "-t", v, "--cash", "500",
                                       "--json"],
    "sell --seats": lambda d, v: ["sell", d.gala, "-s", "stalls", "--seats", v, "-t", "adult=2", "--card", "4242"],
    "sell --section": lambda d, v: ["sell", d.gala, "-s", v, "-t", "adult=1", "--card", "4242"],
    "sell event": lambda d, v: ["sell", v, "-s", "standing", "-t", "adult=1", "--card", "4242", "--json"],
    "sell --comp": lambda d, v: ["sell", d.gala, "-s", "standing", "-t", "comp=1", "--comp", v],
    "refund code": lambda d, v: ["refund", v, "--yes"],
    "refund --tickets": lambda d, v: ["refund", d.code, "--tickets", v, "--yes", "--json"],
    "refund --reason": lambda d, v: ["refund", d.code, "--reason", v, "--tickets", "nope", "--yes"],
    "refund --note": lambda d, v: ["refund", d.code, "--reason", "other", "--note", v, "--tickets", "Z0",
                                   "--yes"],
    "exchange --seats": lambda d, v: ["exchange", d.code, "--seats", v, "--yes"],
    "exchange --type": lambda d, v: ["exchange", d.code, "-s", "standing", "-t", v, "--yes", "--json"],
    "exchange --event": lambda d, v: ["exchange", d.code, "-e", v, "--yes"],
    "pickup code": lambda d, v: ["pickup", v, "--yes"],
    "pickup --tickets": lambda d, v: ["pickup", d.web[0], "--tickets", v, "--yes"],
    "pickup --count": lambda d, v: ["pickup", d.web[1], "--count", v, "--yes", "--json"],
    "pickup find": lambda d, v: ["pickup", "find", v],
    "pickup find --limit": lambda d, v: ["pickup", "find", "smith", "--limit", v, "--json"],
    "order show": lambda d, v: ["order", "show", v],
    "order reprint": lambda d, v: ["order", "reprint", v, "--json"],
    "event show": lambda d, v: ["event", "show", v],
    "event seats --section": lambda d, v: ["event", "seats", d.gala, "--section", v],
    "report sales --by": lambda d, v: ["report", "sales", "--by", v],
    "report sales --day": lambda d, v: ["report", "sales", "--day", v, "--json"],
    "audit log --since": lambda d, v: ["audit", "log", "--since", v],
    "audit log --until": lambda d, v: ["audit", "log", "--until", v, "--json"],
    "audit log --limit": lambda d, v: ["audit", "log", "--limit", v],
    "shift cash-in": lambda d, v: ["shift", "cash-in", v, "--reason", "change"],
    "shift close --counted": lambda d, v: ["shift", "close", "--counted", v],
    "shift open --float": lambda d, v: ["shift", "open", "--float", v, "--json"],
    "pause sales --event": lambda d, v: ["pause", "sales", "--reason", "fire alarm", "--event", v],
    "resume --id": lambda d, v: ["resume", "--id", v],
    "incident note": lambda d, v: ["incident", "note", v, "the door jammed"],
    "ticket verify": lambda d, v: ["ticket", "verify", v],
    "scan --event": lambda d, v: ["scan", "check", "--event", v],
    "operator disable": lambda d, v: ["operator", "disable", v],
}

# Commands whose refusals are recorded on purpose: a refused scan is kept (the door's alerts count them).
MAY_CHANGE = {"ticket verify": (), "scan --event": ("checkins",)}
# Commands whose success changes things another example then sees: undone after each example.
UNDO = {"shift open --float": "shift", "pause sales --event": "pause"}


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_typed_argument_is_refused_cleanly_or_accepted(desk: Desk, case: str) -> None:
    build = CASES[case]
    answers: list[int] = []

    @SETTINGS
    @given(value=VALUES)
    def check(value: str) -> None:
        args = build(desk, value)
        r = desk.attempt(*args, input=desk.tokens[0] + "\n" if args[0] == "scan" else None,
                         may_change=MAY_CHANGE.get(case, ()))
        answers.append(r.exit_code)
        if UNDO.get(case) == "shift":
            desk.cli("shift", "close", "--counted", value)  # what was opened with: no variance to approve
        elif UNDO.get(case) == "pause":
            desk.cli("resume", "--what", "sales")
            desk.cli("resume", "--what", "sales", "--event", desk.gala)

    check()
    assert len(answers) >= 20 and any(a != 0 for a in answers), answers
    for value in NASTY:  # and every one of the listed values, whatever the generator drew
        check.hypothesis.inner_test(value)


def test_a_clock_from_the_environment_is_refused_cleanly(desk: Desk) -> None:
    for value in ["now", "2026-13-01", "2026-12-01T25:00", "1e9", "\x7f", "9" * 50, "2026-12-01T10:00+99:00",
                  "9999-12-31T23:59:59Z", "0001-01-01T00:00:00+14:00", "0001-01-01", "1899-12-31T23:59:59Z"]:
        r = desk.attempt("sell", desk.gala, "-s", "standing", "-t", "adult=1", "--card", "4242",
                         env={"BOXOFFICE_NOW": value})
        assert r.exit_code in (0, 2, 4), (value, r.exit_code)
        # Whatever was written at that time, the night's reports still read it.
        for args in (["audit", "log", "--limit", "3"], ["alerts"], ["report", "sales", "--by", "hour"]):
            assert desk.attempt(*args).exit_code == 0, (value, args)


# --- hostile names: stored exactly as typed, or refused; never run --------------------------------------------

HOSTILE_NAMES = [
    "Robert'); DROP TABLE orders;--",
    "x' OR 1=1; DELETE FROM tickets; --",
    "\"; DROP TABLE journal; --",
    "%s%s%s%n",
    "{name.__class__}",
    "<script>alert(1)</script> & <b>",
    "Zoë \u202eollah\u202c",
    "\u0000",
    "nul\u0000in the middle",
    "\x1b[31mred\x1b[0m",
    "\x1b]0;title\x07",
    "tab\there",
    "line\nbreak",
    "\u0085next line",
    "\x7fdelete",
    "王小明 O'Brien-Ødegaard",
    "A" * 300,
    "A" * 10_000_000,
]


def _tables(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=lambda n: repr(n[:24]) + (f"..{len(n)}" if len(n) > 24 else ""))
def test_a_hostile_customer_name_is_stored_verbatim_or_refused_never_run(desk: Desk, name: str) -> None:
    tables = _tables(desk.db)
    r = desk.attempt("sell", desk.gala, "-s", "standing", "-t", "adult=1", "--card", "4242", "--name", name,
                     "--email", "a@example.com", "--json")
    assert _tables(desk.db) == tables
    with sqlite3.connect(desk.db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    if r.exit_code == 0:
        code = r.json()["order"]
        shown = desk.attempt("order", "show", code, "--json").json()
        assert shown["customer_name"] == name.strip()
        stored = sqlite3.connect(desk.db).execute("SELECT customer_name FROM orders WHERE code = ?",
                                                  (code,)).fetchone()[0]
        assert stored == name.strip()
    else:
        assert r.exit_code == 2 and r.json()["error"]["code"] == "bad_input", r.stdout
        assert any(ord(c) < 32 for c in name) or len(name.strip()) > 200


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=lambda n: repr(n[:24]) + (f"..{len(n)}" if len(n) > 24 else ""))
def test_hostile_text_in_every_free_text_field_is_stored_verbatim_or_refused(desk: Desk, name: str) -> None:
    tables = _tables(desk.db)
    answers = [
        desk.attempt("operator", "add", name, "--role", "seller", "--json"),
        desk.attempt("incident", "open", name, "--json"),
        desk.attempt("pickup", "find", name, "--json"),
        desk.attempt("refund", desk.code, "--reason", "other", "--note", name, "--tickets", "F99", "--yes"),
        desk.attempt("drawer", "open", "--reason", name),
        desk.attempt("pause", "sales", "--reason", name, "--json"),
    ]
    assert _tables(desk.db) == tables
    for r in answers:
        assert r.exit_code in (0, 2, 3, 4), (r.exit_code, r.stdout[-300:], r.stderr[-300:])
    if answers[0].exit_code == 0:
        with sqlite3.connect(desk.db) as conn:
            assert conn.execute("SELECT count(*) FROM operators WHERE name = ?", (name.strip(),)).fetchone() == (1,)
    if answers[5].exit_code == 0:
        listed = desk.attempt("pause", "list", "--json").json()
        assert any(p.get("reason") == name.strip() for p in listed), listed


# --- bytes that are not UTF-8, through a real process -------------------------------------------------------


def test_arguments_that_are_not_utf8_are_refused_in_one_line(desk: Desk, tmp_path: Path) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("BOXOFFICE_")}
    env |= {"BOXOFFICE_NOW": "2026-12-01T10:00:00Z", **desk.env}
    base = [*boxoffice_command(), "--db", str(desk.db)]
    bad = b"\xff\xfeA\xc3"
    cases = [
        [b"sell", desk.gala.encode(), b"-s", bad, b"-t", b"adult=1", b"--card", b"4242"],
        [b"sell", desk.gala.encode(), b"-s", b"standing", b"-t", b"adult=1", b"--card", b"4242", b"--name", bad],
        [b"event", b"show", bad],
        [b"pickup", b"find", bad],
        [b"order", b"show", bad],
        [b"incident", b"open", bad, b"--json"],
    ]
    before = fingerprint(desk.db)
    for args in cases:
        r = subprocess.run([a.encode() for a in base] + args, capture_output=True, env=env, timeout=60)
        out, err = r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")
        assert refusal_problem(r.returncode, out, err, b"--json" in args) is None, (args, r.returncode, out, err)
        assert r.returncode == 2, (args, r.returncode, err)
    assert changed_tables(before, fingerprint(desk.db)) == []
    # A file whose name is not UTF-8 is still a file: read, not refused for its name.
    weird = tmp_path / os.fsdecode(b"keys-\xff.json")
    weird.write_text("[]", encoding="utf-8")
    r = subprocess.run([a.encode() for a in base] + [b"keys", b"import", os.fsencode(weird)], capture_output=True,
                       env=env, timeout=60)
    assert r.returncode == 0, r.stderr


# --- the door: forged, altered and replayed tickets -------------------------------------------------------


def _mutations(token: str) -> st.SearchStrategy[str]:
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
    edits = st.lists(st.tuples(st.integers(0, len(token) - 1), st.sampled_from(["swap", "drop", "add"]),
                               st.sampled_from(alphabet)), min_size=1, max_size=3)

    def apply(ops: list[tuple[int, str, str]]) -> str:
        t = list(token)
        for i, op, ch in ops:
            i = min(i, len(t) - 1)
            if op == "swap":
                t[i] = ch
            elif op == "drop" and len(t) > 1:
                del t[i]
            else:
                t.insert(i, ch)
        return "".join(t)

    return edits.map(apply)


def test_altered_tickets_are_never_admitted_and_the_real_one_only_once(desk: Desk, clock) -> None:  # noqa: ANN001
    token = desk.tokens[0]
    altered: list[str] = []

    @settings(max_examples=300 * ABUSE_SCALE, deadline=None, derandomize=ABUSE_SCALE == 1, database=None)
    @given(_mutations(token))
    def collect(t: str) -> None:
        if t.strip() != token:
            altered.append(t)

    collect()
    # The door on the night: every altered copy, the real ticket, every altered copy again, the real one again.
    clock.set("2026-12-08T18:50:00Z")
    assert desk.cli("login", "ada").exit_code == 0
    lines = [*altered, token, *altered, token]
    r = desk.attempt("scan", "check", "--event", desk.gala, "--json", input="\n".join(lines) + "\n",
                     may_change=("checkins", "journal", "checkpoints", "session"))
    answers = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    assert len(answers) == len(lines)
    admitted = [a for a in answers if a["result"] == "admit"]
    assert len(admitted) == 1 and admitted[0]["ticket_id"] is not None
    codes = {a["error"]["code"] for a in answers if a["result"] == "refused"}
    assert codes <= {"malformed_token", "bad_signature", "unknown_key", "already_checked_in"}, codes
    assert answers[len(altered)]["result"] == "admit" and answers[-1]["error"]["code"] == "already_checked_in"
    with sqlite3.connect(desk.db) as conn:
        assert conn.execute("SELECT count(*) FROM journal WHERE kind = 'checkin'").fetchone() == (1,)


def test_forged_replayed_and_refunded_tickets_are_refused_at_the_door(desk: Desk, clock) -> None:  # noqa: ANN001
    from boxoffice.tickets import keys
    from boxoffice.tickets.token import TicketClaims, b45encode, decode_token, sign_token

    real = decode_token(desk.tokens[1])
    stranger, stranger_public = keys.generate_keypair()
    # The terminal's own key id and its ticket's claims, signed by someone else's key.
    forged_as_us = b45encode(real.signed_part + stranger.sign(real.signed_part))
    # A well-made ticket from a key this terminal never heard of.
    unknown = sign_token(TicketClaims(real.ticket_id, desk.gala, "stalls", real.row, real.seat), stranger,
                         keys.key_id(stranger_public))
    verify = {t: desk.attempt("ticket", "verify", t, "--json") for t in (forged_as_us, unknown)}
    assert verify[forged_as_us].exit_code == 6 and verify[forged_as_us].json()["error"]["code"] == "bad_signature"
    assert verify[unknown].exit_code == 6
    assert verify[unknown].json()["error"]["code"] in ("unknown_key", "bad_signature")

    assert desk.attempt("refund", desk.code, "--tickets", f"{real.row}{real.seat}", "--yes").exit_code == 0
    clock.set("2026-12-08T18:50:00Z")
    assert desk.cli("login", "ada").exit_code == 0
    lines = [forged_as_us, unknown, desk.tokens[1], desk.tokens[0], desk.tokens[0]]
    r = desk.attempt("scan", "check", "--event", desk.gala, "--json", input="\n".join(lines) + "\n",
                     may_change=("checkins", "journal", "checkpoints", "session"))
    answers = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    assert [a["result"] for a in answers] == ["refused", "refused", "refused", "admit", "refused"]
    assert answers[2]["error"]["code"] == "revoked" and answers[4]["error"]["code"] == "already_checked_in"
    # The other event's door refuses a good ticket for this one.
    r = desk.attempt("scan", "check", "--event", desk.jazz, "--json", input=desk.tokens[0] + "\n",
                     may_change=("checkins", "journal", "checkpoints"))
    assert json.loads(r.stdout.splitlines()[0])["error"]["code"] in ("wrong_event", "wrong_day")
    # The refusal is recorded (for the night's reports and alerts), and nothing else is.
    last = sqlite3.connect(desk.db)
    try:
        assert last.execute("SELECT kind FROM journal ORDER BY seq DESC LIMIT 1").fetchone() == ("scan.refused",)
    finally:
        last.close()
