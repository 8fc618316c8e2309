"""`boxoffice event seats` draws the map a seller can read: row names, seat numbers above, offsets and aisles where
the venue has them, one mark per meaning and a legend naming every mark."""

from __future__ import annotations

from boxoffice.services import seat_holds
from boxoffice.services.context import Ctx


def _drawn(cli, terminal: Ctx, gala: str) -> list[str]:  # noqa: ANN001
    out = cli("event", "seats", gala, "--section", "stalls", db=terminal)
    assert out.exit_code == 0, out.output
    return out.stdout.splitlines()


def test_rows_numbers_offsets_and_a_legend(cli, terminal: Ctx, demo_events) -> None:  # noqa: ANN001
    gala = demo_events[0]
    seat_holds.hold(terminal, gala, "stalls", ["K10"], "b1")
    lines = _drawn(cli, terminal, gala)
    rows = {line.split()[0]: line for line in lines if line[:2].strip() and line.split()[-1] == line.split()[0]
            and len(line.split()[0]) == 1}
    assert list(rows) == list("ABCDEFGHJKLMNPQRST")
    # Row A starts two seats in (offset 2: four columns), row E at the edge; both end with their row name.
    a, e = rows["A"], rows["E"]
    assert a.index("!") - e.index("o") == 4
    # Aisles after seats 6 and 22 of row E are gaps: three spaces between seats 6 and 7.
    assert e[2:].startswith("o o o o o o   o")
    # Numbers: tens over units above each run of rows numbered alike; seat 28 of row E is under "2" / "8".
    units = lines[lines.index(e) - 1]
    tens = lines[lines.index(e) - 2]
    col = len(e.rstrip()) - 3  # the last seat's column
    assert (tens[col], units[col]) == ("2", "8")
    assert units[2] == "1" and units.count("1") >= 3
    # One mark, one meaning: wheelchair @, companion &, restricted view !, house seats h, a basket's hold +.
    assert rows["T"].split()[1:4] == ["@", "@", "&"] and rows["H"].count("h") == 4
    assert rows["K"].split()[10] == "+"
    legend = "\n".join(lines[next(i for i, x in enumerate(lines) if x.startswith("legend:")):])
    for item in ("o free to sell here", "+ held in a basket", "x sold here", "X sold by another terminal",
                 "W sold on the web", "- allocated elsewhere", "h house seat", "@ wheelchair place", "& companion seat",
                 "! restricted view"):
        assert item in legend
    assert legend.count(" W ") == 1


def test_the_json_says_each_seats_state_and_mark(cli, terminal: Ctx, demo_events) -> None:  # noqa: ANN001
    gala = demo_events[0]
    seat_holds.hold(terminal, gala, "stalls", ["K10"], "b1")
    out = cli("event", "seats", gala, "--section", "stalls", "--json", db=terminal).json()
    seats = {s["label"]: s for r in out[0]["rows"] for s in r["seats"]}
    assert (seats["K10"]["state"], seats["K10"]["mark"]) == ("held", "held")
    assert (seats["H13"]["state"], seats["T1"]["mark"], seats["A1"]["mark"]) == ("house", "wheelchair", "restricted")
    assert (out[0]["held"], out[0]["house"], out[0]["available"]) == (1, 4, 488 - 4 - 1)
