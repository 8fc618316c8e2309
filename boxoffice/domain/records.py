"""A base for small immutable records whose methods are written once, not generated for each class.

``@dataclass(frozen=True)`` compiles five or six functions (``__init__``, ``__repr__``, ``__eq__``, ``__hash__``,
``__setattr__``, ``__delattr__``) for every class it makes, at every start of a process: about 4 M instructions a
class. The records of a sale (tenders, payments, a ticket's claims) are made in every ``sell``; their subclasses
write only ``__init__`` and name their ``_fields``.
"""

from __future__ import annotations


class FrozenRecord:
    """Fields set once (``object.__setattr__`` in the subclass's ``__init__``), compared, hashed and shown as a
    frozen dataclass's are, in the order of ``_fields``. A subclass that ``dataclasses.replace`` must take is
    decorated with ``@dataclass(init=False, repr=False, eq=False)``, which generates none of these methods."""

    _fields: tuple[str, ...] = ()

    def _assign(self, *values: object) -> None:
        """Set each of ``_fields`` to the value in the same place: what a subclass's ``__init__`` does, once."""
        for name, value in zip(self._fields, values, strict=True):
            object.__setattr__(self, name, value)

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self._values() == other._values()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        return f"{type(self).__qualname__}({', '.join(f'{n}={getattr(self, n)!r}' for n in self._fields)})"
