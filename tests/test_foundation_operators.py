"""Operators and PINs: the first is an admin, PINs are only ever stored hashed, wrong PINs count and lock, disabled
operators stay out, only admins manage people, and a login lapses after session_hours without use."""

from __future__ import annotations

from pathlib import Path

import pytest

from boxoffice.errors import BoxOfficeError
from boxoffice.services import operators as ops
from boxoffice.services.catalog import import_catalog
from boxoffice.services.demo_catalog import demo_catalog
from boxoffice.store import operators as operator_store


def _refused(fn, *args) -> BoxOfficeError:  # noqa: ANN001
    with pytest.raises(BoxOfficeError) as err:
        fn(*args)
    return err.value


def test_the_first_operator_must_be_an_admin(make_terminal, cli) -> None:  # noqa: ANN001
    ctx = make_terminal(operators=False)
    err = _refused(ops.add_operator, ctx, "sam", "seller", "1111")
    assert err.code == "bad_input"
    assert "admin" in err.message
    assert ops.list_operators(ctx) == []

    result = cli("operator", "add", "sam", "--role", "seller", db=ctx, pin="1111")
    assert result.exit_code == 2
    assert "--role admin" in result.stderr
    assert ops.list_operators(ctx) == []

    result = cli("operator", "add", "ada", "--role", "admin", "--json", db=ctx, pin="123456")
    assert result.exit_code == 0, result.output
    assert result.json()["role"] == "admin"
    assert [o["name"] for o in ops.list_operators(ctx)] == ["ada"]


def test_a_pin_is_stored_only_as_a_hash(make_terminal, open_ctx) -> None:  # noqa: ANN001
    ctx = make_terminal(operators=False)
    pin = "80417395"  # long and odd enough that it cannot turn up in the file by chance
    ops.add_operator(ctx, "zoe", "admin", pin)
    ops.login(ctx, "zoe", pin)
    stored = operator_store.by_name(ctx.conn, "zoe")["pin_hash"]
    assert stored.startswith("scrypt$") and pin not in stored
    db = ctx.config.db_path
    wal = Path(f"{db}-wal")
    in_flight = wal.read_bytes() if wal.exists() else b""
    ctx.close()
    for blob in (db.read_bytes(), in_flight):
        assert pin.encode() not in blob
        assert pin.encode("utf-16-le") not in blob
    assert ops.login(open_ctx(db), "zoe", pin)["name"] == "zoe"  # and the hash still checks the PIN


def test_two_operators_with_one_pin_get_different_hashes(make_terminal) -> None:  # noqa: ANN001
    ctx = make_terminal()
    ops.add_operator(ctx, "ben", "seller", "1111")  # sam's PIN too
    assert operator_store.by_name(ctx.conn, "ben")["pin_hash"] != operator_store.by_name(ctx.conn, "sam")["pin_hash"]


def test_a_wrong_pin_is_refused_and_changes_nobody(terminal, cli) -> None:  # noqa: ANN001
    err = _refused(ops.login, terminal, "sam", "9999")
    assert err.code == "wrong_pin"
    assert "4 tries left" in err.message
    assert ops.whoami(terminal)["name"] == "ada"

    result = cli("login", "sam", db=terminal, pin="0000")
    assert result.exit_code == 5
    assert "wrong PIN" in result.stderr and "3 tries left" in result.stderr
    who = cli("whoami", "--json", db=terminal)
    assert who.json()["operator"]["name"] == "ada"


def test_an_unknown_operator_is_not_found(terminal, cli) -> None:  # noqa: ANN001
    assert _refused(ops.login, terminal, "nobody", "1234").code == "not_found"
    assert cli("login", "nobody", db=terminal, pin="1234").exit_code == 3


def test_five_wrong_pins_lock_until_the_lock_time_passes(terminal, clock, cli) -> None:  # noqa: ANN001
    for attempt in range(1, 5):  # each attempt a separate command, as at a real counter
        result = cli("login", "sam", "--json", db=terminal, pin="9999")
        assert result.exit_code == 5
        assert result.json()["error"]["code"] == "wrong_pin", attempt
    fifth = cli("login", "sam", "--json", db=terminal, pin="9999")
    assert fifth.json()["error"]["code"] == "locked"

    right = cli("login", "sam", "--json", db=terminal, pin="1111")
    assert right.exit_code == 5
    assert right.json()["error"]["code"] == "locked"  # the right PIN does not open a lock
    assert _refused(ops.login, terminal, "sam", "1111").code == "locked"

    clock.advance(minutes=4, seconds=59)
    assert cli("login", "sam", "--json", db=terminal, pin="1111").json()["error"]["code"] == "locked"

    clock.advance(seconds=2)  # five minutes (lock_minutes) are up
    ok = cli("login", "sam", "--json", db=terminal, pin="1111")
    assert ok.exit_code == 0, ok.output
    assert ok.json()["name"] == "sam"
    assert operator_store.by_name(terminal.conn, "sam")["failed_attempts"] == 0
    # a fresh count after the lock: one wrong PIN is just a wrong PIN again
    assert _refused(ops.login, terminal, "sam", "9999").code == "wrong_pin"


def test_a_right_pin_resets_the_count_of_wrong_ones(terminal) -> None:  # noqa: ANN001
    for _ in range(4):
        assert _refused(ops.login, terminal, "pat", "0000").code == "wrong_pin"
    ops.login(terminal, "pat", "3333")
    for _ in range(4):
        assert _refused(ops.login, terminal, "pat", "0000").code == "wrong_pin"
    assert ops.login(terminal, "pat", "3333")["name"] == "pat"


def test_the_lock_is_recorded_in_the_journal(terminal) -> None:  # noqa: ANN001
    for _ in range(5):
        _refused(ops.login, terminal, "dan", "0000")
    rows = terminal.conn.execute("SELECT payload FROM journal WHERE kind = 'operator.locked'").fetchall()
    assert len(rows) == 1 and '"failures":5' in rows[0][0]


def test_a_disabled_operator_is_refused_even_with_the_right_pin(terminal, login, cli, open_ctx) -> None:  # noqa: ANN001
    login(terminal, "sam")
    login(terminal, "ada")
    ops.set_disabled(terminal, "sam", True)
    err = _refused(ops.login, terminal, "sam", "1111")
    assert err.code == "operator_disabled"
    result = cli("login", "sam", "--json", db=terminal, pin="1111")
    assert result.exit_code == 5
    assert result.json()["error"]["code"] == "operator_disabled"

    ops.set_disabled(terminal, "sam", False)
    assert ops.login(open_ctx(terminal), "sam", "1111")["name"] == "sam"


def test_only_an_admin_adds_operators(terminal, login, cli) -> None:  # noqa: ANN001
    for who in ("sam", "sue", "pat", "dan"):
        login(terminal, who)
        err = _refused(ops.add_operator, terminal, "eve", "seller", "5555")
        assert err.code == "permission_denied"
        assert "admin" in err.message
        assert err.details["needed"] == ["admin"]
    result = cli("operator", "add", "eve", "--role", "seller", "--json", db=terminal, pin="5555")
    assert result.exit_code == 5
    assert result.json()["error"]["code"] == "permission_denied"
    assert "admin" in result.json()["error"]["message"]
    assert "eve" not in [o["name"] for o in ops.list_operators(terminal)]

    login(terminal, "ada")
    assert ops.add_operator(terminal, "eve", "seller", "5555")["role"] == "seller"


def test_nobody_logged_in_may_not_add_a_second_operator(make_terminal, cli) -> None:  # noqa: ANN001
    ctx = make_terminal(logged_in=None)
    assert _refused(ops.add_operator, ctx, "eve", "seller", "5555").code == "not_logged_in"
    assert cli("operator", "add", "eve", "--role", "seller", db=ctx, pin="5555").exit_code == 5


@pytest.mark.parametrize(("name", "role", "pin"), [
    ("", "seller", "1234"), ("x" * 61, "seller", "1234"), ("tab\tname", "seller", "1234"),
    ("eve", "owner", "1234"), ("eve", "seller", "123"), ("eve", "seller", "12345678901234"),
    ("eve", "seller", "12a4"), ("eve", "seller", "١٢٣٤"),
])
def test_bad_names_roles_and_pins_are_refused(terminal, name: str, role: str, pin: str) -> None:  # noqa: ANN001
    before = len(ops.list_operators(terminal))
    assert _refused(ops.add_operator, terminal, name, role, pin).code == "bad_input"
    assert len(ops.list_operators(terminal)) == before


def test_names_are_unique_whatever_the_case(terminal) -> None:  # noqa: ANN001
    assert _refused(ops.add_operator, terminal, "SAM", "seller", "1111").code == "already_exists"


def test_a_login_lapses_after_session_hours_without_use(terminal, clock, login, open_ctx, cli) -> None:  # noqa: ANN001
    login(terminal, "sam")
    assert terminal.config.session_hours == 12
    clock.advance(hours=11, minutes=59)
    assert open_ctx(terminal).operator["name"] == "sam"
    clock.advance(minutes=2)
    assert open_ctx(terminal).operator is None
    assert cli("whoami", "--json", db=terminal).json() == {"operator": None}
    later = open_ctx(terminal)
    err = _refused(later.require, "sell")
    assert err.code == "not_logged_in"


def test_using_the_terminal_keeps_the_login_alive(make_terminal, clock, open_ctx) -> None:  # noqa: ANN001
    ctx = make_terminal(catalog=False)  # ada logged in at T0
    clock.advance(hours=8)
    import_catalog(open_ctx(ctx), demo_catalog(clock().date()))  # an action at T0 + 8 h
    clock.advance(hours=11)  # 19 h after login, 11 h after the last action
    assert open_ctx(ctx).operator["name"] == "ada"
    clock.advance(hours=1, minutes=1)
    assert open_ctx(ctx).operator is None


def test_a_shorter_session_from_the_catalogue_policy(make_terminal, clock, tmp_path: Path, cli) -> None:  # noqa: ANN001
    ctx = make_terminal()
    import_catalog(ctx, demo_catalog(clock().date()) | {"policy": {"session_hours": 1}})
    config = tmp_path / "long.toml"
    config.write_text("session_hours = 100\n", encoding="utf-8")  # a local file cannot lengthen it
    assert cli("--config", config, "whoami", "--json", db=ctx).json()["operator"]["name"] == "ada"
    clock.advance(hours=1, minutes=1)
    lapsed = cli("--config", config, "whoami", "--json", db=ctx)
    assert lapsed.json() == {"operator": None} and "session_hours: ignored" in lapsed.stderr
    assert cli("whoami", "--json", db=ctx).json() == {"operator": None}


def test_logout_ends_the_session(terminal, open_ctx, cli) -> None:  # noqa: ANN001
    out = cli("logout", "--json", db=terminal)
    assert out.exit_code == 0
    assert out.json()["logged_out"]["name"] == "ada"
    assert open_ctx(terminal).operator is None
    assert cli("logout", db=terminal).stdout.strip() == "Nobody was logged in."


def test_operator_list_shows_roles_and_never_a_hash(terminal, cli) -> None:  # noqa: ANN001
    listed = cli("operator", "list", "--json", db=terminal).json()
    assert {o["name"]: o["role"] for o in listed} == {"ada": "admin", "dan": "door", "pat": "pickup",
                                                      "sam": "seller", "sue": "supervisor"}
    assert all("pin_hash" not in o for o in listed)
    assert "scrypt" not in cli("operator", "list", db=terminal).stdout


def test_services_run_on_the_fixture_clock(terminal, clock) -> None:  # noqa: ANN001
    ops.login(terminal, "sue", "222222")
    assert operator_store.session(terminal.conn)["since"] == clock.iso()
    clock.advance(days=1)
    assert terminal.now() == clock() == clock.now


def test_a_taken_name_is_refused_before_any_pin_is_asked(terminal, login, cli) -> None:  # noqa: ANN001
    login(terminal, "ada")
    result = cli("operator", "add", "Sam", "--role", "seller", db=terminal, input="")
    assert result.exit_code == 4
    assert "PIN" not in result.stdout
    assert result.stderr.startswith("error: an operator named 'Sam' exists already")


def test_a_login_with_no_pin_to_read_is_a_clear_refusal(terminal, cli) -> None:  # noqa: ANN001
    result = cli("login", "sam", db=terminal, input="")
    assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
    assert "no PIN given" in result.stderr and "BOXOFFICE_PIN" in result.stderr
    piped = cli("login", "sam", db=terminal, input="1111\n")
    assert piped.exit_code == 0, piped.output
    assert "sam (seller) is logged in." in piped.stdout
