"""ID numbers, phones and e-mails in one normal form, hashed under the venue secret (real-name tickets and limits
per customer build on these)."""

from __future__ import annotations

import pytest

from boxoffice.domain import customer_ids as ci
from boxoffice.errors import BoxOfficeError

pytest_plugins = ["sync_support"]  # the central service on loopback (SQLite and PostgreSQL)

SECRET = bytes(range(32))
GOOD = "11010519491231002X"  # the standard's own example number: check character X


def test_a_resident_id_with_its_check_digit_is_accepted_in_any_form_typed() -> None:
    assert ci.normalise_id("resident", GOOD) == GOOD
    assert ci.normalise_id("resident", " 110105 19491231 002x ") == GOOD
    assert ci.normalise_id("resident", "１１０１０５１９４９１２３１００２Ｘ") == GOOD  # full-width, as an IME types it


@pytest.mark.parametrize("typed", ["110105194912310021", "11010519491231002", "110105194913310028",
                                   "ABCDEFGHIJKLMNOPQR"])
def test_a_mistyped_resident_id_is_refused_without_repeating_it(typed: str) -> None:
    with pytest.raises(BoxOfficeError) as err:
        ci.normalise_id("resident", typed)
    assert err.value.code == "bad_id_number" and typed not in str(err.value)


def test_the_hash_matches_the_same_person_only_and_needs_the_secret() -> None:
    digest, four = ci.id_hash(SECRET, "resident", GOOD)
    assert four == "002X" and ci.masked(four) == "****002X"
    assert ci.same_id(SECRET, "resident", GOOD.lower(), digest)
    assert not ci.same_id(SECRET, "resident", "110105194912310021", digest)
    assert not ci.same_id(bytes(32), "resident", GOOD, digest)  # another venue's secret
    assert ci.id_hash(SECRET, "passport", "E12345678")[0] != ci.id_hash(SECRET, "other", "E12345678")[0]
    assert GOOD not in digest


def test_phones_and_emails_are_the_same_customer_however_written() -> None:
    assert {ci.normalise_phone(p) for p in ("+86 138-0013-8000", "0086 13800138000", "138 0013 8000")} \
        == {"13800138000"}
    assert ci.normalise_email("  Li.Xiaoming@Example.COM ") == "li.xiaoming@example.com"
    with pytest.raises(BoxOfficeError):
        ci.normalise_email("not an address")


def test_a_terminal_makes_a_local_secret_then_takes_the_central_one_and_no_other(terminal) -> None:  # noqa: ANN001
    from boxoffice.services import venue_secret as vs

    local = vs.venue_secret(terminal)
    assert len(local) == 32 and vs.venue_secret(terminal) == local and vs.source(terminal) == "local"
    central = "ab" * 32
    assert vs.adopt_central(terminal, central) is True and vs.venue_secret(terminal) == bytes.fromhex(central)
    assert vs.adopt_central(terminal, central) is False
    with pytest.raises(BoxOfficeError):
        vs.adopt_central(terminal, "cd" * 32)
    with pytest.raises(BoxOfficeError):
        vs.adopt_central(terminal, "zz")


# --- one secret for the venue, from the central service ---------------------------------------------------


def test_enrolled_terminals_share_the_central_venue_secret_and_an_older_one_learns_it_at_sync(
        central, make_terminal, cli) -> None:  # noqa: ANN001
    """Two counters enrolled with one central service hash an ID alike (a customer is one customer at every
    counter); a terminal enrolled by an earlier release (a local secret) takes the central one at its next sync,
    and the terminal's `--json` answers never carry the secret."""
    from sync_helpers import enroll, sync

    from boxoffice.services import venue_secret as vs

    one, two, old = (make_terminal(name=n, fresh=True) for n in ("Box 1", "Box 2", "Box 3"))
    for ctx in (one, two):
        enroll(ctx, central)
    shared = central.scalar("SELECT secret FROM venue_secrets WHERE id = 1")
    assert vs.source(one) == vs.source(two) == "central"
    assert vs.venue_secret(one) == vs.venue_secret(two) == bytes.fromhex(shared)
    assert ci.id_hash(vs.venue_secret(one), "resident", GOOD) == ci.id_hash(vs.venue_secret(two), "resident", GOOD)

    local = vs.venue_secret(old)  # used before enrolling: a secret of its own
    enroll(old, central)
    # as a terminal enrolled by an earlier release left it
    old.conn.execute("UPDATE venue_secret SET secret = ?, source = 'local'", (local.hex(),))
    assert vs.source(old) == "local"
    sync(old)
    assert vs.source(old) == "central" and vs.venue_secret(old) == bytes.fromhex(shared)
    status = cli("sync", "status", "--json", db=old)
    assert status.exit_code == 0 and shared not in status.output
