"""Whether a journal payload carries personal data (domain/privacy.carries_personal) decides whether it is salted.
The walk skips plain dicts and lists quickly; it must answer as the plain walk it replaced, for any payload."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from boxoffice.domain.privacy import HOLDER_KEYS, HOLDERS_KEY, PERSONAL_KEYS, carries_personal, salted


def _plain_walk(payload: Any) -> bool:
    """The walk as it was: every value of every dict and list looked at."""
    if isinstance(payload, dict):
        for k, v in payload.items():
            if k in PERSONAL_KEYS and v is not None and v != "":
                return True
            if isinstance(v, (dict, list)):
                if _plain_walk(v):
                    return True
                if k == HOLDERS_KEY and isinstance(v, list) and any(
                        isinstance(h, dict) and any(h.get(x) not in (None, "") for x in HOLDER_KEYS) for h in v):
                    return True
        return False
    if isinstance(payload, list):
        return any(isinstance(v, (dict, list)) and _plain_walk(v) for v in payload)
    return False


_KEYS = st.sampled_from(sorted(PERSONAL_KEYS | HOLDER_KEYS | {HOLDERS_KEY, "id", "order", "tickets", "amount"}))
_LEAVES = st.one_of(st.none(), st.just(""), st.text(max_size=3), st.integers(), st.booleans(),
                    st.floats(allow_nan=False))
_PAYLOADS = st.recursive(_LEAVES, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                          st.dictionaries(_KEYS, inner, max_size=5)), max_leaves=25)


@settings(max_examples=600, deadline=None)
@given(st.dictionaries(_KEYS, _PAYLOADS, max_size=6))
def test_the_walk_answers_as_the_plain_walk(payload: dict[str, Any]) -> None:
    assert carries_personal(payload) == _plain_walk(payload)
    assert ("privacy_salt" in salted(payload)) == _plain_walk(payload)


def test_a_sale_with_a_customer_is_salted_and_one_without_is_not() -> None:
    order = {"id": "o1", "customer_name": None, "email": None, "phone": None, "notes": None, "total": 4500}
    tickets = [{"id": "t1", "row": None, "price": 2250}, {"id": "t2", "row": None, "price": 2250}]
    assert not carries_personal({"order": order, "tickets": tickets, "payments": [{"card_last4": "4242"}]})
    assert carries_personal({"order": order | {"email": "a@b.c"}, "tickets": tickets})
    assert carries_personal({"order": order, "tickets": tickets, "holders": [{"name": "Ann", "ticket_id": "t1"}]})
    assert carries_personal([[{"x": [{"phone_digits": "123"}]}]])
