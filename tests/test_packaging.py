"""boxoffice as users install it: the sdist and wheel carry every file the program reads, and an installed wheel
runs on its own in a fresh virtual environment, far from this checkout.

The build is `python -m build`: an sdist, then the wheel built from that sdist, so a file the sdist leaves out is
missing from the wheel too. The repository keeps the JSON Schemas in the top-level schemas/ folder; the wheel must
carry them as boxoffice/json_schemas/.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from boxoffice.wire.schemas import load_schema, schema_files

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "boxoffice"
SCHEMAS = ROOT / "schemas"


def _files(folder: Path) -> list[Path]:
    """Every file under ``folder`` that belongs in a package: no bytecode caches."""
    return sorted(p for p in folder.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix not in {".pyc", ".pyo"})


def _run(argv: list[str | Path], **kw: object) -> subprocess.CompletedProcess[str]:
    """Run a command; a failure shows its whole output."""
    done = subprocess.run([str(a) for a in argv], capture_output=True, text=True, **kw)  # type: ignore[call-overload]
    assert done.returncode == 0, f"{argv} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sdist and the wheel built from it, as `python -m build` makes them for a release."""
    out = tmp_path_factory.mktemp("dist")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    _run([sys.executable, "-m", "build", "--outdir", out, ROOT], env=env, timeout=600)
    wheels, sdists = list(out.glob("*.whl")), list(out.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, sorted(p.name for p in out.iterdir())
    return {"wheel": wheels[0], "sdist": sdists[0]}


def test_the_running_package_reads_every_schema_of_the_schemas_folder() -> None:
    """Whatever the install (here: the test environment's), the schemas come through importlib.resources."""
    shipped = {f.name for f in schema_files().iterdir() if f.name.endswith((".json", ".md"))}
    assert shipped == {p.name for p in SCHEMAS.iterdir() if p.suffix in {".json", ".md"}}
    for path in SCHEMAS.glob("*.json"):
        assert load_schema(path.name) == json.loads(path.read_text(encoding="utf-8")), path.name


def test_the_wheel_carries_the_whole_package_the_schemas_and_the_sql(dist: dict[str, Path]) -> None:
    with zipfile.ZipFile(dist["wheel"]) as whl:
        names = {n for n in whl.namelist() if not n.startswith("boxoffice-")}  # not the .dist-info
        expected = {f"boxoffice/{p.relative_to(PACKAGE).as_posix()}" for p in _files(PACKAGE)}
        expected |= {f"boxoffice/json_schemas/{p.relative_to(SCHEMAS).as_posix()}" for p in _files(SCHEMAS)}
        missing, extra = sorted(expected - names), sorted(names - expected)
        assert not missing, f"files the program has but the wheel lacks (add a pattern to package-data): {missing}"
        assert not extra, f"files in the wheel that are not the program's: {extra}"
        # What a user's first commands read, spelled out: one schema each way, every migration, both central scripts.
        for path in SCHEMAS.glob("*.json"):
            shipped = json.loads(whl.read(f"boxoffice/json_schemas/{path.name}"))
            assert shipped == json.loads(path.read_text(encoding="utf-8")), path.name
        sql = {n for n in names if n.endswith(".sql")}
        assert {f"boxoffice/store/{p.name}" for p in (PACKAGE / "store").glob("*.sql")} <= sql
        assert {"boxoffice/central/store/schema.sql", "boxoffice/central/store/allocations.sql"} <= sql
        assert "boxoffice/json_schemas/catalog.schema.json" in names
        assert "boxoffice/json_schemas/ticket-token.md" in names
        entry_points = next(n for n in whl.namelist() if n.endswith(".dist-info/entry_points.txt"))
        assert "boxoffice = boxoffice.cli.warm.client:run" in whl.read(entry_points).decode()


def test_the_sdist_keeps_one_schemas_folder_where_the_repository_has_it(dist: dict[str, Path]) -> None:
    with tarfile.open(dist["sdist"]) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    assert {f"schemas/{p.name}" for p in SCHEMAS.glob("*.json")} <= names
    assert not any(n.startswith("boxoffice/json_schemas") for n in names)  # mapped at build time, never copied


@pytest.mark.slow
def test_an_installed_wheel_runs_the_demo_a_sale_and_the_central_service(dist: dict[str, Path],
                                                                         tmp_path: Path) -> None:
    """pip install of the wheel alone (with the central extra) in a new venv; every command from an empty folder."""
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", venv], timeout=300)
    pip_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # keeps the index settings
    _run([venv / "bin" / "pip", "install", "-q", f"{dist['wheel']}[central]"], env=pip_env, timeout=900)

    work = tmp_path / "work"
    work.mkdir()
    home = tmp_path / "home"
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8",
             "XDG_CONFIG_HOME": str(home / "config"), "XDG_DATA_HOME": str(home / "data")}
    boxoffice = venv / "bin" / "boxoffice"
    python = venv / "bin" / "python"

    demo = json.loads(_run([boxoffice, "demo", "--dir", work / "demo", "--json"], cwd=work, env=clean).stdout)
    assert demo["created"] and len(demo["seats"]) == 2 and demo["change"] == "30.00"
    assert [p["status"] for p in demo["print"]] == ["printed"]
    assert Path(demo["print"][0]["to"]).read_bytes().startswith(b"%PDF")
    # ...and what ran was the installed copy: nothing came from this checkout.
    where = _run([python, "-c", "import boxoffice, boxoffice.wire.schemas as s; print(boxoffice.__file__); "
                                "print(s.schema_files())"], cwd=work, env=clean).stdout.split()
    for path in where:
        assert Path(path).resolve().is_relative_to(venv.resolve()), f"imported from outside the venv: {path}"

    demo_dir = work / "demo"
    _run([boxoffice, "login", "sam"], cwd=demo_dir, env={**clean, "BOXOFFICE_PIN": "1111"})
    sale = json.loads(_run([boxoffice, "sell", demo["event"], "--section", "standing", "--type", "adult=2",
                            "--cash", "50", "--json"], cwd=demo_dir, env=clean).stdout)
    assert len(sale["tickets"]) == 2 and sale["change"] == "5.00"
    shown = json.loads(_run([boxoffice, "order", "show", sale["order"], "--json"], cwd=demo_dir, env=clean).stdout)
    assert shown["code"] == sale["order"] and shown["status"] == "paid"

    # The central side reads its own SQL and the sync schemas (OpenAPI is built from them).
    central = f"sqlite:///{work / 'central.db'}"
    init = json.loads(_run([boxoffice, "central", "init", "--db", central, "--json"], cwd=work, env=clean).stdout)
    assert init["created"]
    catalogue = work / "venue.json"
    _run([python, "-c", "import datetime, json, sys; from boxoffice.services.demo_catalog import demo_catalog; "
                        "json.dump(demo_catalog(datetime.date(2027, 1, 4)), open(sys.argv[1], 'w'))", catalogue],
         cwd=work, env=clean)
    published = json.loads(_run([boxoffice, "central", "catalog", "publish", catalogue, "--db", central, "--json"],
                                cwd=work, env=clean).stdout)
    assert published["published"] and len(published["events"]) == 2
    openapi = json.loads(_run([python, "-c", "import json, sys; from boxoffice.central.api.app import create_app; "
                                             "print(json.dumps(create_app(sys.argv[1]).openapi()))", central],
                              cwd=work, env=clean).stdout)
    assert {"SyncPush", "SyncChanges", "SyncError"} <= set(openapi["components"]["schemas"])


def test_every_package_folder_is_named_in_pyproject() -> None:
    """The packages are listed by hand (for the schemas/ mapping): a new folder left out would not be installed."""
    import tomllib

    root = PACKAGE.parent
    listed = set(tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    found = {p.parent.relative_to(root).as_posix().replace("/", ".") for p in PACKAGE.rglob("__init__.py")}
    missing = sorted(found - listed)
    assert not missing, f"add these to [tool.setuptools] packages in pyproject.toml: {missing}"
    assert listed - found == {"boxoffice.json_schemas"}, sorted(listed - found)
