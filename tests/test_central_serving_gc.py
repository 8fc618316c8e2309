"""A serving process sets its garbage collector for a push's many short-lived objects (central/api/app.py)."""

from __future__ import annotations

import gc

import pytest


def test_serving_freezes_the_startup_heap_and_collects_the_young_less_often() -> None:
    pytest.importorskip("fastapi")
    from boxoffice.central.api.app import GC_YOUNG_THRESHOLD, collector_for_serving

    before = gc.get_threshold()
    try:
        collector_for_serving()
        assert gc.get_threshold() == (max(before[0], GC_YOUNG_THRESHOLD), before[1], before[2])
        assert gc.get_freeze_count() > 0
        garbage = []
        garbage.append(garbage)  # a cycle is still freed by a collection
        del garbage
        assert gc.collect() >= 1
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
