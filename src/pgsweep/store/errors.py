"""The store's base error and its kinds; each is a PgsweepError (one line, exit 2)."""

from __future__ import annotations

from pgsweep.core.errors import PgsweepError


class StoreError(PgsweepError):
    """The findings store cannot be opened, read or written."""


class SchemaError(StoreError):
    """The file is not a pgsweep store, or was written by a newer pgsweep."""


class StoreKeyError(StoreError):
    """The store key cannot be read or created, or is unsafe (a key file others can read)."""
