"""`catalog export` writes the catalogue in force as the document `catalog import` takes (import it into a fresh
terminal and export again: the same document), and the sample venue that ships with the package validates, imports
and is written by `catalog sample` with its events in the weeks ahead."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from boxoffice.services.catalog import import_catalog
from boxoffice.services.catalog_export import export_catalog
from boxoffice.services.catalog_sample import sample_catalog, sample_text
from boxoffice.services.context import Ctx
from boxoffice.services.demo_catalog import demo_catalog
from boxoffice.services.events import list_events, seat_map
from boxoffice.wire.schemas import validate

ROOT = Path(__file__).resolve().parent.parent


def round_trip(make_terminal: Any, doc: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Import ``doc`` into a fresh terminal, export it; import that into another, export again."""
    first = make_terminal(catalog=False, fresh=True)
    import_catalog(first, doc)
    exported = export_catalog(first)
    validate(exported, "catalog.schema.json", "catalogue")
    second = make_terminal(catalog=False, fresh=True)
    import_catalog(second, copy.deepcopy(exported))
    return exported, export_catalog(second)


def test_the_demo_catalogue_exports_and_imports_to_the_same_document(terminal: Ctx, make_terminal: Any) -> None:
    exported = export_catalog(terminal)
    validate(exported, "catalog.schema.json", "catalogue")
    fresh = make_terminal(catalog=False, fresh=True)
    import_catalog(fresh, copy.deepcopy(exported))
    assert export_catalog(fresh) == exported
    assert seat_map(fresh, exported["events"][0]["id"]) == seat_map(terminal, exported["events"][0]["id"])
    stalls = exported["events"][0]["sections"][0]
    assert stalls["rows"][0] == {"row": "A", "seats": "1-24", "aisles_after": ["6", "18"], "offset": 2}
    assert stalls["restricted_view"] == ["A1", "A24", "B1", "B24"] and stalls["wheelchair"] == ["T1", "T2", "T27",
                                                                                                 "T28"]


def test_every_part_of_the_schema_survives_the_round_trip(make_terminal: Any, clock: Any) -> None:
    doc = demo_catalog(clock().date())
    ev = doc["events"][1]
    ev |= {"timezone": "America/New_York", "per_customer_limit": 4, "real_name": True, "holder_changes_max": 2,
           "tax_rate": "5.5", "refund_demand_bands": [{"sold_at_least": 0.5, "fee_scale_percent": "50"},
                                                      {"sold_at_least": 0.9, "fee_scale_percent": "100"}]}
    hall = copy.deepcopy(ev["sections"][0])
    hall["rows"] = [{"row": "A", "seats": ["2", "4", "6", "8"], "aisles_after": ["4"], "offset": -1.5},
                    {"row": "B", "seats": "1-3"}]
    hall["wheelchair"], hall["companion"], hall["restricted_view"], hall["held"] = ["B1"], ["B2"], ["A8"], ["A2"]
    ev["sections"] = [hall, ev["sections"][1]]
    doc["policy"] = {"require_shift": True, "session_hours": 1.5, "refund_supervisor_above": "150.00"}
    exported, again = round_trip(make_terminal, doc)
    assert again == exported
    out = exported["events"][1]
    assert out["timezone"] == "America/New_York" and out["starts_at"].endswith("-05:00")
    assert out["sections"][0]["rows"][0] == {"row": "A", "seats": ["2", "4", "6", "8"], "aisles_after": ["4"],
                                             "offset": -1.5}
    assert out["refund_demand_bands"][0] == {"sold_at_least": 0.5, "fee_scale_percent": "50"}
    assert out["tax_rate"] == "5.5" and exported["policy"] == doc["policy"]


def test_export_on_the_command_line_never_overwrites_without_force(cli: Any, terminal: Ctx, tmp_path: Path) -> None:
    shown = cli("catalog", "export", db=terminal)
    assert shown.exit_code == 0, shown.output
    assert shown.json() == export_catalog(terminal)
    target = tmp_path / "venue.json"
    assert cli("catalog", "export", "--output", str(target), db=terminal).exit_code == 0
    assert json.loads(target.read_text(encoding="utf-8")) == shown.json()
    target.write_text("mine", encoding="utf-8")
    again = cli("catalog", "export", "--output", str(target), db=terminal)
    assert again.exit_code == 4 and "--force" in again.stderr and target.read_text(encoding="utf-8") == "mine"
    forced = cli("catalog", "export", "--output", str(target), "--force", db=terminal)
    assert forced.exit_code == 0 and json.loads(target.read_text(encoding="utf-8")) == shown.json()
    empty = cli("catalog", "export", db=tmp_path / "none" / "terminal.db")
    assert empty.exit_code != 0


def test_the_sample_validates_imports_and_lands_in_the_weeks_ahead(make_terminal: Any, clock: Any) -> None:
    shipped = json.loads(sample_text())
    validate(shipped, "catalog.schema.json", "catalogue")
    doc = sample_catalog(clock().date())
    validate(doc, "catalog.schema.json", "catalogue")
    ctx = make_terminal(catalog=False, fresh=True)
    summary = import_catalog(ctx, doc)
    assert summary["created"] == 2 and summary["venue"] == "Riverside Theatre"
    starts = sorted(e["starts_at"][:10] for e in list_events(ctx))
    assert starts == [str(clock().date() + timedelta(days=7)), str(clock().date() + timedelta(days=14))]
    exported, again = round_trip(make_terminal, doc)
    assert again == exported


def test_a_newcomer_writes_the_sample_and_imports_it(cli: Any, make_terminal: Any, tmp_path: Path,
                                                     clock: Any) -> None:
    written = cli("catalog", "sample")
    assert written.exit_code == 0 and written.json() == sample_catalog(clock().date())
    venue = tmp_path / "venue.json"
    assert cli("catalog", "sample", "--output", str(venue)).exit_code == 0
    assert cli("catalog", "sample", "--output", str(venue)).exit_code == 4
    ctx = make_terminal(catalog=False, fresh=True)
    done = cli("catalog", "import", str(venue), "--json", db=ctx)
    assert done.exit_code == 0, done.output
    assert [e["id"] for e in done.json()["events"]] == ["spring-concert", "comedy-night"]
    other = make_terminal(catalog=False, fresh=True)
    by_flag = cli("catalog", "import", "--sample", db=other)
    assert by_flag.exit_code == 0 and "Riverside Theatre: 2 new" in by_flag.stdout
    assert cli("catalog", "import", db=other).exit_code == 2
    assert cli("catalog", "import", str(venue), "--sample", db=other).exit_code == 2


def test_the_sample_ships_in_the_package() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"boxoffice.samples"' in pyproject
    assert (ROOT / "boxoffice" / "samples" / "venue.json").is_file()


@pytest.mark.parametrize("readme", ["README.md"])
def test_the_readme_says_where_venue_json_comes_from(readme: str) -> None:
    text = (ROOT / readme).read_text(encoding="utf-8")
    assert "catalog import venue.json" in text and "catalog sample" in text
