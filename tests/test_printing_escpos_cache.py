"""escpos' capability cache: a pickle that escpos loads as it is imported, so loading it runs whatever it holds.

The cache goes only to a directory no other user can write into (printing/escpos_render.py). Each test plants, where
another local user could, a pickle that would leave a mark if it were ever loaded, and runs the program's printer
code as a terminal does: the mark must never appear and the printer database must read right all the same.
"""

from __future__ import annotations

import os
import pickle
import platform
import subprocess
import sys
from pathlib import Path

import pytest

# The printer code a terminal runs on its first print: escpos imported, a profile looked up.
FIRST_PRINT = ("from boxoffice.printing.escpos_render import profile_info\n"
               "print(profile_info('TM-T88V').columns)")


class _Mark:
    """Unpickled, it creates the file it names: what a planted pickle could do as the operator."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return open, (str(self.path), "w")


def _plant(directory: Path, mark: Path) -> None:
    with open(directory / f"{platform.python_version()}.capabilities.pickle", "wb") as f:
        pickle.dump(_Mark(mark), f)


@pytest.fixture
def places(tmp_path: Path) -> tuple[dict[str, str], Path, Path]:
    """A temp dir of the test's own as TMPDIR, and a user cache that cannot be made (its parent is a file): the
    program falls back to TMPDIR/boxoffice-escpos-UID, the place a local user can make first."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    env = {key: value for key, value in os.environ.items() if key != "ESCPOS_CAPABILITIES_PICKLE_DIR"}
    env.update(TMPDIR=str(tmp), XDG_CACHE_HOME=str(blocker / "cache"), HOME=str(blocker))
    return env, tmp, tmp / f"boxoffice-escpos-{os.getuid()}"


def _first_print(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", FIRST_PRINT], env=env, cwd=env["TMPDIR"], capture_output=True,
                          text=True, timeout=120, check=False)


@pytest.mark.parametrize("made", ["open to all", "another user's", "a link"])
def test_a_cache_directory_someone_else_could_write_is_never_read(places: tuple[dict[str, str], Path, Path],
                                                                  tmp_path: Path, made: str) -> None:
    env, tmp, place = places
    mark = tmp_path / "ran-as-the-operator"
    if made == "open to all":
        place.mkdir()
        place.chmod(0o777)  # as `mkdir -m 777` by another user leaves it
        _plant(place, mark)
    elif made == "another user's":
        if os.getuid() != 0:
            pytest.skip("only root can make a directory another user owns")
        place.mkdir(mode=0o700)
        _plant(place, mark)
        os.chown(place, 65534, 65534)
    else:
        target = tmp_path / "elsewhere"
        target.mkdir(mode=0o700)
        _plant(target, mark)
        place.symlink_to(target)
    before = sorted(tmp.iterdir())
    done = _first_print(env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["42"]  # the printer database, read from escpos' own copy
    assert not mark.exists()
    assert sorted(tmp.iterdir()) == before  # no cache left behind in the temp dir either


def test_the_temp_dir_itself_is_never_the_cache(places: tuple[dict[str, str], Path, Path], tmp_path: Path) -> None:
    env, tmp, place = places
    place.write_text("")  # the name taken first, by a file
    mark = tmp_path / "ran-as-the-operator"
    _plant(tmp, mark)  # where the cache went when nothing else would do
    done = _first_print(env)
    assert done.returncode == 0 and done.stdout.split() == ["42"], done.stderr[-2000:]
    assert not mark.exists()


def test_a_private_cache_is_made_and_kept(places: tuple[dict[str, str], Path, Path]) -> None:
    env, _tmp, place = places
    for _run in range(2):
        done = _first_print(env)
        assert done.returncode == 0 and done.stdout.split() == ["42"], done.stderr[-2000:]
        assert place.stat().st_mode & 0o777 == 0o700
        assert [p.name for p in place.iterdir()] == [f"{platform.python_version()}.capabilities.pickle"]


def test_a_cache_an_earlier_version_made_readable_to_all_is_kept_and_closed(places: tuple[dict[str, str], Path, Path]
                                                                            ) -> None:
    env, _tmp, place = places
    place.mkdir()
    place.chmod(0o755)  # nobody else could write into it: what it holds is the program's own
    done = _first_print(env)
    assert done.returncode == 0 and done.stdout.split() == ["42"], done.stderr[-2000:]
    assert place.stat().st_mode & 0o777 == 0o700
    assert list(place.glob("*.capabilities.pickle"))
