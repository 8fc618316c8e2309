"""An operator's own language: the screen speaks it while they are logged in, over the venue's; --json and exit
statuses stay the same in every language; the column comes by a migration that keeps the operators."""

from __future__ import annotations

import pytest

from boxoffice import i18n
from boxoffice.errors import BoxOfficeError
from boxoffice.services import operators
from boxoffice.services.context import Ctx


def test_an_operator_added_with_chinese_is_spoken_to_in_chinese_once_logged_in(terminal: Ctx) -> None:
    op = operators.add_operator(terminal, "李小明", "seller", "5678", "zh_CN")
    assert op["language"] == "zh_CN"
    assert i18n.language() == "en"  # ada is still the one logged in
    operators.login(terminal, "李小明", "5678")
    assert i18n.language() == "zh_CN"
    with pytest.raises(BoxOfficeError) as err:
        operators.set_disabled(terminal, "nobody")
    assert err.value.code == "permission_denied"  # the code never changes with the language
    operators.logout(terminal)
    assert i18n.language() == "en"


def test_messages_follow_the_language_of_the_operator_logged_in(terminal: Ctx) -> None:
    operators.set_language(terminal, "ada", "zh_CN")
    assert i18n.language() == "zh_CN"
    with pytest.raises(BoxOfficeError) as err:
        operators.add_operator(terminal, "sam", "seller", "1111")
    assert err.value.code == "already_exists"
    assert err.value.message == "名为 'sam' 的操作员已存在"
    operators.set_language(terminal, "ada", "-")
    assert i18n.language() == "en"


def test_an_unknown_language_is_refused_before_anything_is_added(terminal: Ctx) -> None:
    with pytest.raises(BoxOfficeError) as err:
        operators.add_operator(terminal, "Pierre", "seller", "5678", "fr")
    assert err.value.code == "bad_input" and "zh_CN" in err.value.message
    assert all(o["name"] != "Pierre" for o in operators.list_operators(terminal))


def test_only_an_admin_sets_someone_elses_language(terminal: Ctx, login) -> None:  # noqa: ANN001
    login(terminal, "sam")
    with pytest.raises(BoxOfficeError) as err:
        operators.set_language(terminal, "sue", "zh_CN")
    assert err.value.code == "permission_denied"
    assert operators.set_language(terminal, "sam", "zh_CN")["language"] == "zh_CN"


def test_the_cli_adds_an_operator_with_a_language_and_json_is_the_same_in_both(terminal: Ctx, cli) -> None:  # noqa: ANN001
    english = cli("operator", "list", "--json", db=terminal)
    added = cli("operator", "add", "li", "--role", "admin", "--language", "zh_CN", "--json", db=terminal,
                pin="567890")
    assert added.exit_code == 0, added.output
    assert added.json()["language"] == "zh_CN"
    assert cli("login", "li", db=terminal, pin="567890").exit_code == 0
    listed = cli("operator", "list", db=terminal)
    assert listed.exit_code == 0 and "角色" in listed.stdout and "语言" in listed.stdout
    chinese = cli("operator", "list", "--json", db=terminal).json()
    assert [o for o in chinese if o["name"] != "li"] == english.json()
    refused = cli("operator", "add", "x", "--role", "seller", "--language", "klingon", db=terminal, pin="5678")
    assert refused.exit_code == 2 and "未知语言" in refused.stderr
    assert "x" not in [o["name"] for o in cli("operator", "list", "--json", db=terminal).json()]


def test_the_operator_language_command(terminal: Ctx, cli) -> None:  # noqa: ANN001
    done = cli("operator", "language", "sam", "zh_CN", db=terminal)
    assert done.exit_code == 0 and "zh_CN" in done.stdout
    assert {o["name"]: o["language"] for o in operators.list_operators(terminal)}["sam"] == "zh_CN"
    back = cli("operator", "language", "sam", "-", "--json", db=terminal)
    assert back.exit_code == 0 and back.json()["language"] is None


def test_a_database_at_0024_keeps_its_operators_through_the_language_migration(tmp_path) -> None:  # noqa: ANN001
    from boxoffice.store import migrations
    from boxoffice.store.db import connect

    path = tmp_path / "old.db"
    old = connect(path, create=True, migrate=False)
    assert migrations.ensure_current(old, upto="0024_blind_close")[-1] == "0024_blind_close"
    old.execute("INSERT INTO operators (id, name, role, pin_hash, created_at) VALUES ('op1', 'sam', 'seller', 'x', "
                "'2026-12-01T10:00:00Z')")
    old.commit()
    old.close()
    conn = connect(path)
    assert "0026_operator_language" in migrations.applied(conn)
    row = conn.execute("SELECT name, role, pin_hash, language FROM operators WHERE id = 'op1'").fetchone()
    assert tuple(row) == ("sam", "seller", "x", None)
    with pytest.raises(Exception, match="CHECK"):
        conn.execute("UPDATE operators SET language = 'xx' WHERE id = 'op1'")
    conn.close()


def test_names_sort_as_people_read_them(terminal: Ctx) -> None:
    from boxoffice.domain.name_order import by_name, reading

    assert reading("李小明") == "li xiao ming" and reading("Zoë") == "zoe"
    names = ["张伟", "Zoë", "李小明", "anna", "王芳", "Ben"]
    assert by_name(names, str) == ["anna", "Ben", "李小明", "王芳", "张伟", "Zoë"]
    for name in ("张伟", "李小明"):
        operators.add_operator(terminal, name, "seller", "5678")
    listed = [o["name"] for o in operators.list_operators(terminal)]
    assert listed.index("李小明") < listed.index("sam") < listed.index("张伟")
