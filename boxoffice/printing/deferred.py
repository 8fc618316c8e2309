"""Modules a library imports at its top but a run may never use, imported the first time one of their names is used.

python-escpos imports PyYAML (``escpos.capabilities``) and ``qrcode`` (``escpos.escpos``) as it loads. PyYAML
parses the printer database only when its pickled copy (ESCPOS_CAPABILITIES_PICKLE_DIR, escpos_render.py) is
missing or older than the database, so once per install; ``qrcode`` draws a QR only in escpos' own ``qr()``,
which this project calls only for a printer's native QR, and ``printing/qr.py`` uses it only when zxing-cpp
cannot. Importing the two costs more than everything else a sale does in its process (PyYAML compiles a large
Unicode pattern, ``qrcode`` builds its tables): on a 2-core machine 15 to 30 ms of a ~200 ms `boxoffice sell`.

:func:`defer` puts a stand-in for each into ``sys.modules`` before the library is imported. The library's
``import yaml`` binds the stand-in; its first attribute looked up (``yaml.safe_load``, ``qrcode.QRCode``, or an
``import qrcode.constants`` that needs the package's path) imports the real module and answers from it, so the
library behaves as before. A module that is already imported, or that is not installed (so that the library's
own import fails as it always did), is left alone. importlib's LazyLoader is not used: an ``import`` statement
reads the module's ``__spec__``, which makes a lazy module load at once.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types
from typing import Any

_lock = threading.RLock()


class Deferred(types.ModuleType):
    """Stands in ``sys.modules`` for a module not imported yet; the first name looked up on it imports it."""

    def __getattr__(self, attr: str) -> Any:
        return getattr(load(self.__name__), attr)


def load(name: str) -> types.ModuleType:
    """The real module ``name``, imported now if only its stand-in was there."""
    with _lock:
        if isinstance(sys.modules.get(name), Deferred):
            del sys.modules[name]
        return importlib.import_module(name)


def defer(*names: str) -> None:
    """Put a stand-in in ``sys.modules`` for each top-level module in ``names`` not imported yet."""
    with _lock:
        for name in names:
            spec = None if name in sys.modules else importlib.util.find_spec(name)
            if spec is None:
                continue
            stand_in = Deferred(name)
            stand_in.__spec__ = spec  # what importlib.util.find_spec(name) answers while the stand-in is there
            sys.modules[name] = stand_in
