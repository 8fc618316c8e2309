"""Configuration: which file is read, which database is used, where each value came from, and files refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from boxoffice.config import DEFAULTS, load
from boxoffice.errors import BoxOfficeError


def _toml(path: Path, **values: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    for key, value in values.items():
        text = ("true" if value else "false") if isinstance(value, bool) else (
            str(value) if isinstance(value, int) else f'"{value}"')
        lines.append(f"{key} = {text}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A config file in each place the tool looks, each naming itself as the venue and its own database."""
    work = tmp_path / "work"
    user_dir = Path(os.environ["XDG_CONFIG_HOME"]) / "boxoffice"
    files = {
        "option": _toml(tmp_path / "opt" / "option.toml", venue_name="from option", db="option.db"),
        "env": _toml(tmp_path / "env" / "env.toml", venue_name="from env", db="env.db"),
        "local": _toml(work / "boxoffice.toml", venue_name="from local", db="local.db"),
        "user": _toml(user_dir / "boxoffice.toml", venue_name="from user dir", db="user.db"),
    }
    monkeypatch.chdir(work)
    return files


def test_config_option_beats_env_beats_local_file_beats_user_dir(places, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("BOXOFFICE_CONFIG", str(places["env"]))
    cfg = load(str(places["option"]))
    assert cfg.venue_name == "from option"
    assert cfg.file == places["option"]
    assert cfg.sources["venue_name"] == f"{places['option']} (--config)"

    cfg = load()
    assert cfg.venue_name == "from env"
    assert cfg.sources["venue_name"] == f"{places['env']} (BOXOFFICE_CONFIG)"

    monkeypatch.delenv("BOXOFFICE_CONFIG")
    cfg = load()
    assert cfg.venue_name == "from local"
    assert cfg.sources["venue_name"].endswith("(./boxoffice.toml)")

    places["local"].unlink()
    cfg = load()
    assert cfg.venue_name == "from user dir"
    assert cfg.sources["venue_name"] == f"{places['user']} (user config dir)"

    places["user"].unlink()
    cfg = load()
    assert cfg.file is None
    assert cfg.venue_name == DEFAULTS["venue_name"]
    assert cfg.sources["venue_name"] == "default"


def test_db_option_beats_env_beats_file_beats_user_data_dir(places, monkeypatch, tmp_path: Path) -> None:  # noqa: ANN001
    monkeypatch.setenv("BOXOFFICE_DB", str(tmp_path / "from-env.db"))
    cfg = load(db=str(tmp_path / "from-option.db"))
    assert (cfg.db_path, cfg.sources["db"]) == (tmp_path / "from-option.db", "--db")

    cfg = load()
    assert (cfg.db_path, cfg.sources["db"]) == (tmp_path / "from-env.db", "BOXOFFICE_DB")

    monkeypatch.delenv("BOXOFFICE_DB")
    cfg = load()
    # a relative db in a file is taken from the file's own directory, not from wherever the command runs
    assert cfg.db_path == (places["local"].parent / "local.db").resolve()
    assert cfg.sources["db"].endswith("(./boxoffice.toml)")

    places["local"].unlink()
    places["user"].unlink()
    cfg = load()
    assert cfg.db_path == Path(os.environ["XDG_DATA_HOME"]) / "boxoffice" / "terminal.db"
    assert cfg.sources["db"] == "user data dir"
    assert cfg.key_path == cfg.db_path.with_suffix(".key")


def test_config_show_json_names_every_source(places, monkeypatch, cli, tmp_path: Path) -> None:  # noqa: ANN001
    _toml(places["option"], venue_name="from option", printer="tcp://10.0.0.9:9100", printer_profile="TM-T20II")
    monkeypatch.setenv("BOXOFFICE_PRINTER", "file:///tmp/receipts.bin")
    result = cli("--config", places["option"], "--db", tmp_path / "x.db", "config", "show", "--json", now=None)
    assert result.exit_code == 0, result.output
    body = result.json()
    assert body["file"] == str(places["option"])
    settings = body["settings"]
    assert set(settings) == set(DEFAULTS)
    assert settings["venue_name"] == {"value": "from option", "source": f"{places['option']} (--config)",
                                      "meaning": settings["venue_name"]["meaning"]}
    assert settings["printer_profile"]["value"] == "TM-T20II"
    assert settings["printer"] == {"value": "file:///tmp/receipts.bin", "source": "BOXOFFICE_PRINTER",
                                   "meaning": settings["printer"]["meaning"]}
    assert settings["db"]["source"] == "--db"
    assert settings["lock_minutes"]["source"] == "default"
    assert all(s["meaning"] for s in settings.values())

    table = cli("--config", places["option"], "config", "show", now=None)
    assert table.exit_code == 0
    assert f"config file: {places['option']}" in table.stdout
    assert "BOXOFFICE_PRINTER" in table.stdout


def test_config_show_needs_no_terminal(tmp_path: Path, cli, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.chdir(tmp_path)
    result = cli("config", "show", "--json")
    assert result.exit_code == 0
    assert result.json()["file"] is None
    assert result.json()["settings"]["db"]["source"] == "user data dir"


def test_an_unknown_key_in_the_file_is_refused(tmp_path: Path, cli) -> None:  # noqa: ANN001
    bad = tmp_path / "typo.toml"
    bad.write_text('venue_name = "Hall"\nprinter_uri = "tcp://10.0.0.9"\n', encoding="utf-8")
    with pytest.raises(BoxOfficeError) as err:
        load(str(bad))
    assert err.value.code == "bad_config"
    assert "printer_uri" in err.value.message and str(bad) in err.value.message

    result = cli("--config", bad, "config", "show", "--json")
    assert result.exit_code == 2
    assert result.json()["error"]["code"] == "bad_config"
    assert "printer_uri" in result.json()["error"]["message"]


@pytest.mark.parametrize("text", ['drawer_on_cash = "yes"\n', "venue_name = \n", "[boxoffice]\nmystery = 1\n"])
def test_a_wrongly_typed_or_broken_file_is_refused(tmp_path: Path, cli, text: str) -> None:  # noqa: ANN001
    bad = tmp_path / "bad.toml"
    bad.write_text(text, encoding="utf-8")
    result = cli("--config", bad, "config", "show")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: config file")
    assert "Traceback" not in result.output


def test_settings_may_sit_in_a_boxoffice_table(tmp_path: Path) -> None:
    path = tmp_path / "table.toml"
    path.write_text('[boxoffice]\nvenue_name = "Tabled Hall"\ndrawer_on_cash = false\n', encoding="utf-8")
    cfg = load(str(path))
    assert (cfg.venue_name, cfg.drawer_on_cash) == ("Tabled Hall", False)


def test_a_config_file_that_does_not_exist_is_not_found(tmp_path: Path, cli, monkeypatch) -> None:  # noqa: ANN001
    result = cli("--config", tmp_path / "missing.toml", "config", "show")
    assert result.exit_code == 3
    assert "missing.toml" in result.stderr
    monkeypatch.setenv("BOXOFFICE_CONFIG", str(tmp_path / "also-missing.toml"))
    result = cli("config", "show", "--json")
    assert result.exit_code == 3
    assert "BOXOFFICE_CONFIG" in result.json()["error"]["message"]


def test_the_db_named_in_a_config_file_is_the_one_commands_use(tmp_path: Path, terminal, cli) -> None:  # noqa: ANN001
    path = _toml(tmp_path / "counter.toml", db=str(terminal.config.db_path))
    result = cli("--config", path, "event", "list", "--json")
    assert result.exit_code == 0, result.output
    assert len(result.json()) == 2


def test_a_ticket_stock_other_than_ticket_or_a4_is_refused_before_anything_is_sold(
        tmp_path: Path, terminal, cli, demo_events) -> None:  # noqa: ANN001
    """A misspelt stock used to pass unread until the first sale's tickets were drawn: the sale was taken, and then
    every ticket of the night failed to print ("unknown PDF stock")."""
    gala = demo_events[0]
    pdfs = tmp_path / "pdfs"

    def config_with(stock: str) -> Path:
        path = tmp_path / f"{stock}.toml"
        path.write_text(f'db = "{terminal.config.db_path}"\nprinter = "pdf://{pdfs}"\nticket_stock = "{stock}"\n',
                        encoding="utf-8")
        return path

    wrong = config_with("A4")
    shown = cli("--config", wrong, "config", "show")
    assert shown.exit_code == 2
    assert shown.stderr.startswith("error: config file") and "ticket_stock" in shown.stderr
    assert "'ticket' or 'a4'" in shown.stderr
    sold = cli("--config", wrong, "sell", gala, "-s", "stalls", "-t", "adult=1", "--card", "4242", "--json")
    assert sold.exit_code == 2
    assert sold.json()["error"]["code"] == "bad_input"
    events = {e["id"]: e for e in cli("event", "list", "--json", db=terminal).json()}
    assert events[gala]["sold"] == 0  # nothing was sold on a configuration that cannot print it
    assert not pdfs.exists()

    sold = cli("--config", config_with("a4"), "sell", gala, "-s", "stalls", "-t", "adult=1", "--card", "4242",
               "--json")
    assert sold.exit_code == 0, sold.output
    assert len(list(pdfs.glob("*.pdf"))) == 1
