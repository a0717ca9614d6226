"""Copies of frozen dataclasses with some fields changed, without re-running `__init__`.

A scan copies every finding several times (severity, fingerprint, attribution): at tens
of thousands of findings, `dataclasses.replace` (which calls `__init__` through every
field's frozen `__setattr__`) becomes a measurable share of the scan.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")

_FIELDS: dict[type, frozenset[str]] = {}


def evolve(obj: T, **changes: Any) -> T:
    """`dataclasses.replace(obj, **changes)` for a frozen dataclass instance: the same
    result (a class with `__post_init__` goes through `replace`), a tenth of the cost."""
    cls = type(obj)
    names = _FIELDS.get(cls)
    if names is None:
        fields = dataclasses.fields(cls)  # type: ignore[arg-type]
        names = _FIELDS[cls] = frozenset(f.name for f in fields)
    if hasattr(cls, "__post_init__") or not names.issuperset(changes):
        return dataclasses.replace(obj, **changes)  # type: ignore[type-var]
    new = object.__new__(cls)
    state = new.__dict__
    state.update(obj.__dict__)
    state.update(changes)
    return new
