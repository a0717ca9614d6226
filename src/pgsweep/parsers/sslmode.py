"""The sslmode a connection's parameters ask for, as libpq and pgjdbc read them."""

from __future__ import annotations

from collections.abc import Iterable

SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


def sslmode_of(params: Iterable[tuple[str, str]]) -> str | None:
    """The valid `sslmode` the parameters name (the last one wins, as in libpq), else
    `require` for pgjdbc's `ssl=true` (also `1`, `on`), else None."""
    mode: str | None = None
    ssl = False
    for key, value in params:
        k, v = key.lower(), value.strip().lower()
        if k == "sslmode":
            mode = v
        elif k == "ssl":
            ssl = v in ("true", "1", "on")
    if mode in SSLMODES:
        return mode
    return "require" if ssl else None
