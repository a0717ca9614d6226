"""The source interface: chunks (or skip records) in, attribution of findings out."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from pgsweep.core.errors import PgsweepError
from pgsweep.core.models import Chunk, Finding, Skipped


class SourceError(PgsweepError):
    """The source as a whole cannot be read (not a repository, path missing…)."""


class Source(Protocol):
    """Yields every chunk to scan; skipped inputs are yielded as data, not raised."""

    def iter_items(self) -> Iterator[Chunk | Skipped]: ...

    def attribute(self, findings: Sequence[Finding]) -> list[Finding]:
        """Fill in provenance that is costly to compute (git: commit, path, author)."""
        ...
