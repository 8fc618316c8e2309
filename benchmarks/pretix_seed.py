"""Copies one paid pretix order until an event holds N paid orders: run by pretix's own Python, not by boxoffice's.

    PRETIX_CONFIG_FILE=... DJANGO_SETTINGS_MODULE=... PYTHONPATH=... /path/to/pretix/python pretix_seed.py \
        ORGANIZER EVENT N

Why through pretix's ORM: creating an order through the REST API takes about 150 ms on the development machine, so
10,000 of them would take 25 minutes of set-up before a pull that takes a minute. bench_pretix.py makes the first
order through the API (so it is an order exactly as pretix makes one: positions, payment, secrets), and this script
copies it, its positions and its payment in bulk, each copy with its own code and secrets, in transactions of 500
(short, so other users of the same SQLite database are not locked out for long). It prints the number of paid orders
the event holds at the end.
"""

from __future__ import annotations

import secrets
import sys

CHUNK = 500
CODE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ3789"


def clone(instance):
    """A new unsaved instance with the same column values (no primary key)."""
    fields = instance._meta.concrete_fields
    return type(instance)(**{f.attname: getattr(instance, f.attname) for f in fields if not f.primary_key})


def main(organizer_slug: str, event_slug: str, target: int) -> int:
    import django

    django.setup()
    from django.db import transaction
    from django_scopes import scopes_disabled
    from pretix.base.models import Order, OrderPayment, OrderPosition

    with scopes_disabled():
        orders = Order.objects.filter(event__organizer__slug=organizer_slug, event__slug=event_slug,
                                      status=Order.STATUS_PAID)
        template = orders.order_by("pk").first()
        if template is None:
            raise SystemExit("the event has no paid order to copy")
        positions = list(OrderPosition.all.filter(order=template).order_by("positionid"))
        payments = list(OrderPayment.objects.filter(order=template))
        have = orders.count()
        while have < target:
            n = min(CHUNK, target - have)
            with transaction.atomic():
                copies = []
                for _ in range(n):
                    o = clone(template)
                    o.code = "".join(secrets.choice(CODE_CHARS) for _ in range(9))
                    o.secret = secrets.token_hex(8)
                    copies.append(o)
                Order.objects.bulk_create(copies)
                made = list(Order.objects.filter(code__in=[o.code for o in copies], event=template.event))
                new_positions, new_payments = [], []
                for order in made:
                    for p in positions:
                        q = clone(p)
                        q.order = order
                        q.secret = secrets.token_urlsafe(24)
                        q.web_secret = secrets.token_hex(16)
                        q.pseudonymization_id = "".join(secrets.choice(CODE_CHARS) for _ in range(12))
                        new_positions.append(q)
                    for pay in payments:
                        r = clone(pay)
                        r.order = order
                        new_payments.append(r)
                OrderPosition.all.bulk_create(new_positions)
                OrderPayment.objects.bulk_create(new_payments)
            have = orders.count()
            print(f"{have} paid orders", file=sys.stderr, flush=True)
        print(have)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
