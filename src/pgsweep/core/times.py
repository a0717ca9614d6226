"""Times: the current time in UTC, and ISO 8601 text read as UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache


@lru_cache(maxsize=65536)
def parse_time(text: str | None) -> datetime | None:
    """An ISO 8601 time (a `Z` suffix and naive times are read as UTC), or None (the
    findings of one commit share its time: each text is read once)."""
    if not text:
        return None
    try:
        t = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def utc_now() -> datetime:
    """The current time; only the CLI calls this, the core takes `now` as an argument."""
    return datetime.now(UTC)
