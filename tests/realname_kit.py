"""A terminal whose Winter Gala is a real-name event (docs/real-name.md), for the real-name tests."""

from __future__ import annotations

from typing import Any

from boxoffice.domain.holders import parse_holder
from boxoffice.domain.tenders import Tender
from boxoffice.services.context import Ctx
from boxoffice.services.demo_catalog import demo_catalog
from boxoffice.services.sales import SaleRequest, sell

# Valid resident ID numbers (check digit per GB 11643-1999) and a passport: made up, nobody's.
LI = "李小明,resident,11010519491231002X"
WANG = "王芳,resident,110105198001010024"
JANE = "Jane Doe,passport,E12345678"
LI_NUMBER = "11010519491231002X"
WANG_NUMBER = "110105198001010024"


def make_real_name(ctx: Ctx, changes_max: int | None = 1) -> str:
    """Mark the first demo event real-name (holder changes capped at ``changes_max``) and return its id."""
    from boxoffice.services.catalog import import_catalog

    doc = demo_catalog(ctx.now().date())
    ev = doc["events"][0]
    ev["real_name"] = True
    if changes_max is not None:
        ev["holder_changes_max"] = changes_max
    import_catalog(ctx, doc)
    return str(ev["id"])


def sell_named(ctx: Ctx, event_id: str, *holders: str, section: str = "stalls") -> dict[str, Any]:
    """Sell one adult ticket per holder, by card."""
    return dict(sell(ctx, SaleRequest(event_id=event_id, section_id=section, counts={"adult": len(holders)},
                                      tenders=[Tender("card", card_last4="4242")],
                                      holders=[parse_holder(h) for h in holders])))
