"""uuid7 draws its random bits ahead, many at a time: ids stay unique and ordered across refills, and a forked
process does not repeat the bits its parent still holds."""

from __future__ import annotations

import os
import uuid

import pytest

from boxoffice.domain import ids
from boxoffice.domain.ids import uuid7


def test_ids_across_many_refills_are_unique_ordered_version_7() -> None:
    made = [uuid7() for _ in range(3000)]  # several pools' worth
    assert len(set(made)) == len(made)
    assert made == sorted(made)
    assert all(uuid.UUID(i).version == 7 and uuid.UUID(i).variant == uuid.RFC_4122 for i in made)


def test_ids_in_one_millisecond_still_differ_in_their_random_bits() -> None:
    made = [uuid7(now_ms=2**40) for _ in range(50)]
    assert len({i[-12:] for i in made}) == 50  # rand_b's last 48 bits: fresh per id, not the counter


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork only")
def test_a_forked_child_does_not_reuse_its_parents_random_bits() -> None:
    uuid7()
    assert ids._pool  # bits drawn ahead are held now
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read)
        os.write(write, uuid7(now_ms=2**41)[-12:].encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 64).decode()
    os.close(read)
    os.waitpid(pid, 0)
    assert child != uuid7(now_ms=2**41)[-12:]
