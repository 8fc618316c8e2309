"""The journal's canonical text and entry hash are the ones json.dumps gives: every terminal and the central
service hash the same bytes, so the encoders made once must write exactly what they did when made per call."""

from __future__ import annotations

import hashlib
import json
import uuid

from boxoffice.domain.chain import canonical, entry_hash
from boxoffice.domain.ids import uuid7
from boxoffice.domain.privacy import carries_personal

PAYLOAD = {"order": {"id": "o1", "customer_name": "Zoë Ünal", "total": 4500, "notes": None},
           "tickets": [{"id": "t1", "row": None, "seat": "12", "token": "ABC"}], "b": [1, 2.5, True, "€"]}


def test_canonical_text_is_json_dumps_sorted_compact_utf8() -> None:
    assert canonical(PAYLOAD) == json.dumps(PAYLOAD, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert "Zoë" in canonical(PAYLOAD)


def test_entry_hash_covers_the_same_bytes_as_before() -> None:
    fields = ["0" * 64, "e1", 7, "term", "sale", None, "2031-04-01T10:00:00Z", canonical(PAYLOAD)]
    expected = hashlib.sha256(json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()
    assert entry_hash("0" * 64, id="e1", seq=7, terminal_id="term", kind="sale", operator_id=None,
                      at="2031-04-01T10:00:00Z", payload=canonical(PAYLOAD)) == expected


def test_uuid7_is_canonical_version_7_text_in_order() -> None:
    ids = [uuid7() for _ in range(500)]
    assert all(str(uuid.UUID(i)) == i and uuid.UUID(i).version == 7 for i in ids)
    assert ids == sorted(ids)


def test_personal_data_is_found_at_any_depth_and_only_when_it_has_a_value() -> None:
    assert carries_personal(PAYLOAD)
    assert not carries_personal({"order": {"customer_name": None, "email": ""}, "tickets": [{"id": "t"}]})
    assert carries_personal({"a": [[{"phone": "0123"}]]})
    assert carries_personal({"holders": [{"name": "Ann"}]})
    assert not carries_personal({"holders": [{"name": None, "binding": ""}], "name": "not personal here"})
