"""ID numbers, phones and e-mails in one normal form, hashed under the venue secret (real-name tickets and limits
per customer build on these)."""

from __future__ import annotations

import pytest

from boxoffice.domain import customer_ids as ci
from boxoffice.errors import BoxOfficeError

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
