"""A ticket the central service revoked is shown revoked wherever the order is looked up (`boxoffice order show`,
`boxoffice pickup find`), not "valid" as this terminal last wrote it."""

from __future__ import annotations

from typing import Any

from sync_helpers import Central, sell, sync

from boxoffice.central.services.admin import revoke_ticket
from boxoffice.services.orders import order_details
from boxoffice.services.pickup import order_view

pytest_plugins = ["sync_support"]


def test_a_synced_revocation_shows_in_the_order(central: Central, terminals: Any, cli: Any,
                                                demo_events: tuple[str, str]) -> None:
    (ctx,) = terminals(1)
    sync(ctx)
    sale = sell(ctx, demo_events[0], n=2)
    code, (gone, kept) = sale["order"]["code"], sale["tickets"]
    sync(ctx)
    revoke_ticket(central.db_url, gone["id"], "stolen ticket")
    sync(ctx)

    shown = cli("order", "show", code, "--json", db=ctx)
    assert shown.exit_code == 0, shown.output
    statuses = {t["id"]: t["status"] for t in shown.json()["tickets"]}
    assert statuses == {gone["id"]: "revoked", kept["id"]: "valid"}
    assert shown.json()["status"] == "part_revoked"
    found = cli("pickup", "find", code, "--json", db=ctx)
    assert found.exit_code == 0, found.output
    assert [r["status"] for r in found.json()["results"]] == ["part_revoked"]

    revoke_ticket(central.db_url, kept["id"], "stolen ticket")
    sync(ctx)
    assert order_details(ctx, code)["status"] == "revoked"
    view = order_view(ctx, code)
    assert view["status"] == "revoked" and {t["status"] for t in view["tickets"]} == {"revoked"}
