"""Derived chunks: decode encoded values (base64 Secret data, JSON escapes) for rescanning."""

from __future__ import annotations

from collections.abc import Iterator

from pgsweep.models import Chunk


def iter_decoded(chunk: Chunk) -> Iterator[Chunk]:
    """Yield chunks holding decoded forms of values in `chunk` (none for plain text)."""
    return iter(())
